// The `wrt:runtime/gpu` import in a real slot thread: granted calls run kernels on the agent's
// device (SwiftShader on CPU-only machines) while the slot waits; calls without the grant, and
// bad requests, get an `err` the operator reports — the slot survives both.
import test from 'ava';
import assert from 'node:assert/strict';
import process from 'node:process';
import { readFileSync } from 'node:fs';
import { SlotPool, type OperatorCall } from '../../../runtime/node/slot-pool.js';
import { GPU_IMPORT_MODULE, type GpuRequestHandler } from '../../../runtime/node/gpu-bridge.js';
import { serveGpuRequest } from '../../../runtime/node/gpu-tasks.js';
import { nodePlatform } from '../../../runtime/platform/node/platform.js';
import { requestGpu } from '../../../gpu/node.js';
import { WrtError } from '../../../runtime/errors.js';
import { ROOT } from '../../helpers/wrt-process.js';
import { splitPartitioned } from '../../../runtime/protocol/partitioned-batch.js';

/** WRT_GPU=off skips the tests that need an adapter. */
const withGpu = process.env.WRT_GPU === 'off' ? test.skip : test.serial;
const TEXT = 'a bb ccc bb a dddd\nextraordinarily incomprehensibilities\n';

/** Reads the partitioned map output (WPB1 of WKV1 batches; docs/batch-format.md) as key → count. */
function kvCounts(bytes: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of splitPartitioned(bytes, 1, 'lengths')) {
    const v = new DataView(part.buffer, part.byteOffset, part.byteLength);
    const rows = v.getUint32(4, true);
    let start = 0;
    for (let i = 0; i < rows; i++) {
      const end = v.getUint32(16 + 8 * rows + 4 * i, true);
      const heap = 16 + 12 * rows;
      out.set(new TextDecoder().decode(part.subarray(heap + start, heap + end)), Number(v.getBigUint64(16 + 8 * i, true)));
      start = end;
    }
  }
  return out;
}

/** The word-lengths core module and an arena holding TEXT; `lengths(gpu)` is its map call on TEXT. */
async function setup() {
  const module = await WebAssembly.compile(readFileSync(`${ROOT}samples/gpu/build/word-lengths.core.wasm`));
  const arena = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
  const input = new TextEncoder().encode(TEXT);
  new Uint8Array(arena.buffer).set(input);
  const lengths = (gpu: boolean): OperatorCall => ({
    moduleKey: gpu ? 'wl/gpu' : 'wl',
    module,
    operator: 'lengths',
    partitions: 1,
    inputs: [{ offset: 0, length: input.byteLength }],
    outputCapBytes: 1 << 20,
    maxMemoryBytes: 64 << 20,
    deadlineMs: 60_000,
    gpu,
  });
  return { module, arena, lengths };
}

withGpu('a granted operator runs GPU kernels through its import; an ungranted one gets an err', async () => {
  const { module, arena, lengths: call } = await setup();
  assert.ok(WebAssembly.Module.imports(module).some((i) => i.module === GPU_IMPORT_MODULE));
  const ctx = await requestGpu();
  const requests: string[] = [];
  const pool = new SlotPool(nodePlatform, arena, 1, async (r) => {
    requests.push(r.kernel);
    await serveGpuRequest(async () => ({ gpu: ctx, why: 'test' }), r);
  });
  try {
    const counts = kvCounts(await pool.call(call(true)));
    assert.deepEqual([...counts].sort(), [
      ['01', 2],
      ['02', 2],
      ['03', 1],
      ['04', 1],
      ['15', 1],
      ['21', 1],
    ]);
    assert.deepEqual(requests, ['map', 'histogram']);
    await assert.rejects(
      pool.call(call(false)),
      (e: unknown) => e instanceof WrtError && e.code === 'WRT_OPERATOR_ERROR' && /WRT_GPU_UNAVAILABLE.*asked for no gpus/.test(e.message),
    );
    assert.equal(requests.length, 2, 'an ungranted call never reaches the device');
    // The slot and its granted instance still work.
    assert.equal(kvCounts(await pool.call(call(true))).get('03'), 1);
  } finally {
    await pool.close();
    ctx.destroy();
  }
});

test.serial('a slot without a GPU handler answers GPU requests with WRT_GPU_UNAVAILABLE', async () => {
  const { arena, lengths } = await setup();
  const pool = new SlotPool(nodePlatform, arena, 1);
  try {
    await assert.rejects(pool.call(lengths(true)), /GPU map failed: WRT_GPU_UNAVAILABLE: this node has no GPU/);
  } finally {
    await pool.close();
  }
});

test.serial("a GPU call moving more bytes than the node's ceiling gets WRT_OVER_LIMIT before anything is allocated or sent", async () => {
  const { arena, lengths } = await setup();
  let reached = 0;
  const handler: GpuRequestHandler = async () => {
    reached++;
  };
  handler.maxBytesPerCall = 16; // the text alone is longer
  const pool = new SlotPool(nodePlatform, arena, 1, handler);
  try {
    await assert.rejects(
      pool.call(lengths(true)),
      /WRT_OVER_LIMIT: gpu\.\w+ would move \d+ bytes; this node allows 16 per call \(its --max-gpu-mb-per-call\)/,
    );
    assert.equal(reached, 0, 'the request never reached the agent');
  } finally {
    await pool.close();
  }
});
