import test from 'ava';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, WrtError, fromFailure } from '../../runtime/errors.js';
import { ROOT } from '../helpers/wrt-process.js';

test('docs/errors.md lists every error code with its meaning', () => {
  const doc = readFileSync(`${ROOT}docs/errors.md`, 'utf8');
  for (const [code, meaning] of Object.entries(ERROR_CODES)) assert.ok(doc.includes(`| \`${code}\` | ${meaning} |`), code);
});

test('failures round-trip as plain records and instanceof works across copies', () => {
  const e = new WrtError('WRT_DEADLINE', 'late', { retryable: true });
  const back = fromFailure(JSON.parse(JSON.stringify(e.toFailure())) as ReturnType<WrtError['toFailure']>);
  assert.ok(back instanceof WrtError);
  assert.deepEqual([back.code, back.message, back.retryable], ['WRT_DEADLINE', 'late', true]);
  const foreign = Object.assign(new Error('x'), { [Symbol.for('wrt.error')]: true });
  assert.ok(foreign instanceof WrtError);
});
