// The Nexmark queries' wasm operators (world `nexmark`, samples/nexmark/nexmark.wit). Each takes
// an operator input frame (WOI1) with one row batch (WRB1) and returns a row batch; Process
// operators (q3join, q4final, q5hottest, q8join) keep their state in the host's keyed state.
// Column orders are those of samples/nexmark/graphs.ts.
// The operators live in operator-input.ts (frame reading), projections.ts (stateless) and
// keyed-process.ts (keyed state and timers); this entry file exports them with their post-return
// functions (canonical ABI) and `configure`.
import { returnOk, returnErr, freeResult } from '../../../kernels/cabi';
import { Q0, Q1, Q2, Q3, Q4, Q5, Q7, Q8, Q11 } from '../build/graphs';

export { cabi_realloc } from '../../../kernels/cabi';
export { q0project, q1euros, q2select, q5auctions, q11bidders, q3auctions, q3persons, q4auctions, q4bids, q8persons, q8sellers } from './projections';
export { q3join, q4final, q5hottest, q8join } from './keyed-process';

/** `configure(args)`: the job graph of `query=qN` among `key=value` lines. */
export function configure(ptr: usize, len: usize): usize {
  const lines = String.UTF8.decodeUnsafe(ptr, len).split('\n');
  let query = '';
  for (let i = 0; i < lines.length; i++) if (lines[i].startsWith('query=')) query = lines[i].substring(6);
  let g: StaticArray<u8> | null = null;
  if (query == 'q0') g = Q0;
  else if (query == 'q1') g = Q1;
  else if (query == 'q2') g = Q2;
  else if (query == 'q3') g = Q3;
  else if (query == 'q4') g = Q4;
  else if (query == 'q5') g = Q5;
  else if (query == 'q7') g = Q7;
  else if (query == 'q8') g = Q8;
  else if (query == 'q11') g = Q11;
  if (g == null) {
    const what = query.length == 0 ? 'no query given' : `unknown query "${query}"`;
    return returnErr(`${what}: pass --arg query=qN with N one of 0, 1, 2, 3, 4, 5, 7, 8, 11`);
  }
  const n = <usize>g.length;
  const out = heap.alloc(n);
  memory.copy(out, changetype<usize>(g), n);
  return returnOk(out, n);
}
export function cabi_post_configure(retptr: usize): void {
  freeResult(retptr);
}

export function cabi_post_q0project(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q1euros(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q2select(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q3auctions(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q3persons(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q3join(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q4auctions(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q4bids(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q4final(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q5auctions(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q5hottest(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q8persons(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q8sellers(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q8join(retptr: usize): void {
  freeResult(retptr);
}
export function cabi_post_q11bidders(retptr: usize): void {
  freeResult(retptr);
}
