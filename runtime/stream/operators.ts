/**
 * The operators of a stream subtask, one a file in runtime/stream/operators/: wasm Map and Process
 * operators (wasm-map.ts, wasm-process.ts) and the built-in Window (window-aggregate.ts),
 * IntervalJoin and WindowJoin (joins.ts) and Aggregate (group-aggregate.ts), over what every
 * operator is (operator.ts) and the built-in aggregate functions (aggregates.ts).
 */
export { keyOfRow, keyValues, type Output, type StreamOperator } from './operators/operator.js';
export { WasmMapOperator } from './operators/wasm-map.js';
export { TIMER_PORT, PROCESSING_TIMER_PORT, WasmProcessOperator } from './operators/wasm-process.js';
export { builtinAggregate } from './operators/aggregates.js';
export { WindowAggregateOperator } from './operators/window-aggregate.js';
export { IntervalJoinStreamOperator, WindowJoinStreamOperator } from './operators/joins.js';
export { GroupAggregateOperator } from './operators/group-aggregate.js';
