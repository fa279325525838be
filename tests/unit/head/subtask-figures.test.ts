// The head's store of stream subtask figures: rates between two heartbeats of one attempt, a
// back-pressure ratio clamped to 0..1, and a new attempt (counters from 0) starting the rates over.
import test from 'ava';
import assert from 'node:assert/strict';
import { SubtaskFigureStore } from '../../../runtime/head/subtask-figures.js';
import type { SubtaskMetricsWire } from '../../../runtime/protocol/messages.js';

const report = (
  jobId: string,
  recordsIn: number,
  recordsOut: number,
  backPressuredMs: number,
  outputWatermark = -Infinity,
): SubtaskMetricsWire => ({
  jobId,
  vertex: 'window',
  index: 1,
  recordsIn,
  recordsOut,
  backPressuredMs,
  outputWatermark,
});

test('rates and back-pressure come from two reports of one attempt; no watermark reads null', () => {
  const store = new SubtaskFigureStore();
  store.report('n-1', [report('j-1@1', 1000, 500, 0)], 10_000);
  const first = store.of('j-1').get('window#1')!;
  assert.equal(first.recordsInPerSecond, 0, 'one report has no rate');
  assert.equal(first.outputWatermark, null);
  store.report('n-1', [report('j-1@1', 3000, 1500, 250, 1_700_000_000_000)], 12_000);
  const second = store.of('j-1').get('window#1')!;
  assert.equal(second.recordsInPerSecond, 1000);
  assert.equal(second.recordsOutPerSecond, 500);
  assert.equal(second.backPressure, 0.125);
  assert.equal(second.outputWatermark, 1_700_000_000_000);
  assert.equal(second.nodeId, 'n-1');
  store.report('n-1', [report('j-1@1', 3000, 1500, 9_999)], 13_000);
  assert.equal(store.of('j-1').get('window#1')!.backPressure, 1, 'clamped to 1');
});

test('a restarted attempt starts its rates over; forget drops a job', () => {
  const store = new SubtaskFigureStore();
  store.report('n-1', [report('j-2@1', 50_000, 50_000, 0)], 0);
  store.report('n-2', [report('j-2@2', 100, 100, 0)], 1000);
  const f = store.of('j-2').get('window#1')!;
  assert.equal(f.attempt, 2);
  assert.equal(f.nodeId, 'n-2');
  assert.equal(f.recordsInPerSecond, 0, 'no rate across attempts (counters went back to 0)');
  store.report('n-2', [report('j-2@2', 600, 600, 0)], 2000);
  assert.equal(store.of('j-2').get('window#1')!.recordsInPerSecond, 500);
  store.forget('j-2');
  assert.equal(store.of('j-2').size, 0);
});
