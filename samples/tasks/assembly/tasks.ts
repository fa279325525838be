// Sample task and actor functions: a Monte Carlo estimate of π, and a parameter server.
// Every export has the operator type of wit/runtime.wit; arguments arrive as the inputs of an
// operator input frame (docs/batch-format.md), encoded as sdk/encoding.ts says.
import { readInputFrame } from '../../../kernels/kv-batch';
import { returnOk, returnErr, freeResult } from '../../../kernels/cabi';
import { countInside } from '../../../kernels/monte-carlo';
export { cabi_realloc } from '../../../kernels/cabi';

function f64Out(v: f64): usize {
  const p = heap.alloc(8);
  store<f64>(p, v);
  return returnOk(p, 8);
}

/** π sample: (seed: float64, samples: float64) → points inside the unit quarter circle (float64). */
export function sample(ptr: usize, len: usize): usize {
  const f = readInputFrame(ptr, len);
  if (f.error != null || f.count != 2) return returnErr('sample(seed, samples) takes two float64 arguments');
  const inside = countInside(<u64>load<f64>(f.inputPtr(0)), <u64>load<f64>(f.inputPtr(1)));
  return f64Out(<f64>inside);
}
export function cabi_post_sample(r: usize): void { freeResult(r); }

// ---- parameter server actor (constructor `server`) ------------------------------------------

let weights: StaticArray<f32> = new StaticArray<f32>(0);
let updates: u32 = 0;

/** Constructor: dimension (float64). Weights start at zero. */
export function server(ptr: usize, len: usize): usize {
  const f = readInputFrame(ptr, len);
  if (f.error != null || f.count != 1) return returnErr('server(dimension) takes one float64');
  weights = new StaticArray<f32>(<i32>load<f64>(f.inputPtr(0)));
  updates = 0;
  return returnOk(heap.alloc(1), 0);
}
export function cabi_post_server(r: usize): void { freeResult(r); }

/** Applies a gradient (float32 array of the dimension) with learning rate 0.1; returns the update count. */
export function push(ptr: usize, len: usize): usize {
  const f = readInputFrame(ptr, len);
  if (f.error != null || f.count != 1 || f.inputLen(0) != <usize>weights.length * 4) return returnErr('push(gradient) takes one float32 array of the dimension');
  const g = f.inputPtr(0);
  for (let i = 0; i < weights.length; i++) unchecked((weights[i] -= 0.1 * load<f32>(g + (<usize>i << 2))));
  updates++;
  return f64Out(<f64>updates);
}
export function cabi_post_push(r: usize): void { freeResult(r); }

/** The weights (float32 array). */
export function pull(ptr: usize, len: usize): usize {
  const n = <usize>weights.length * 4;
  const p = heap.alloc(n > 0 ? n : 1);
  memory.copy(p, changetype<usize>(weights), n);
  return returnOk(p, n);
}
export function cabi_post_pull(r: usize): void { freeResult(r); }

/**
 * A worker's gradient of the loss ½‖w − target‖² for target[i] = i / dimension, at weights w
 * (float32 array): simply w − target.
 */
export function gradient(ptr: usize, len: usize): usize {
  const f = readInputFrame(ptr, len);
  if (f.error != null || f.count != 1) return returnErr('gradient(weights) takes one float32 array');
  const n = f.inputLen(0) >> 2;
  const w = f.inputPtr(0);
  const out = heap.alloc(n > 0 ? n * 4 : 1);
  for (let i: usize = 0; i < n; i++) store<f32>(out + (i << 2), load<f32>(w + (i << 2)) - <f32>i / <f32>n);
  return returnOk(out, n * 4);
}
export function cabi_post_gradient(r: usize): void { freeResult(r); }
