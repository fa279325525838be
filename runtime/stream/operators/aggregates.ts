/** The built-in aggregate functions of Window and Aggregate vertices (count, sum, min, max, avg), and their mix with wasm aggregates. */
import type { AggregateSpec } from '../../protocol/messages.js';
import type { Value } from '../row-batch.js';
import type { AggregateFunction } from '../window-operator.js';

export type Acc = number[];

/** Built-in aggregates as one accumulator: per aggregate [value] or, for avg, [sum, count]. */
export function builtinAggregate(specs: AggregateSpec[]): AggregateFunction<Value[], Acc, Value[]> {
  const slots = specs.map((s) => (s.function === 'avg' ? 2 : 1));
  const at: number[] = [];
  slots.reduce((o, n, i) => ((at[i] = o), o + n), 0);
  const size = slots.reduce((a, b) => a + b, 0);
  const initial = specs.flatMap((s) =>
    s.function === 'avg' ? [0, 0] : s.function === 'min' ? [Infinity] : s.function === 'max' ? [-Infinity] : [0],
  );
  return {
    create: () => initial.slice(),
    add(acc, row) {
      specs.forEach((s, i) => {
        const j = at[i]!;
        const x = s.column < 0 ? 0 : (row[s.column] as number);
        if (s.function === 'count') acc[j]!++;
        else if (s.function === 'sum') acc[j] = acc[j]! + x;
        else if (s.function === 'min') acc[j] = Math.min(acc[j]!, x);
        else if (s.function === 'max') acc[j] = Math.max(acc[j]!, x);
        else {
          acc[j] = acc[j]! + x;
          acc[j + 1]!++;
        }
      });
      return acc;
    },
    merge(a, b) {
      const out = new Array<number>(size);
      specs.forEach((s, i) => {
        const j = at[i]!;
        if (s.function === 'min') out[j] = Math.min(a[j]!, b[j]!);
        else if (s.function === 'max') out[j] = Math.max(a[j]!, b[j]!);
        else {
          out[j] = a[j]! + b[j]!;
          if (s.function === 'avg') out[j + 1] = a[j + 1]! + b[j + 1]!;
        }
      });
      return out;
    },
    result: (acc) => specs.map((s, i) => (s.function === 'avg' ? acc[at[i]!]! / acc[at[i]! + 1]! : acc[at[i]!]!)),
  };
}

/** A window's accumulator when it has wasm aggregates: the built-ins', and each wasm aggregate's values. */
export interface MixedAcc {
  b: Acc;
  w: Value[][];
}

/**
 * Built-in and wasm aggregates of a window as one accumulator. A wasm aggregate (function `wasm`)
 * keeps the values of its column; its result position holds those values until the operator has
 * the wasm export reduce them ({@link WindowAggregateOperator}).
 */
export function mixedAggregate(specs: AggregateSpec[]): AggregateFunction<Value[], MixedAcc, (Value | Value[])[]> {
  const builtin = builtinAggregate(specs.filter((s) => s.function !== 'wasm'));
  const wasm = specs.flatMap((s) => (s.function === 'wasm' ? [s] : []));
  return {
    create: () => ({ b: builtin.create(), w: wasm.map(() => []) }),
    add(acc, row) {
      acc.b = builtin.add(acc.b, row);
      wasm.forEach((s, i) => acc.w[i]!.push(row[s.column]!));
      return acc;
    },
    merge: (a, b) => ({ b: builtin.merge(a.b, b.b), w: a.w.map((values, i) => [...values, ...b.w[i]!]) }),
    result(acc) {
      const fixed = builtin.result(acc.b);
      let bi = 0;
      let wi = 0;
      return specs.map((s) => (s.function === 'wasm' ? acc.w[wi++]! : fixed[bi++]!));
    },
  };
}
