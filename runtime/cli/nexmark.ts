/**
 * `wrt nexmark generate --events N --seed S --output DIR`: writes Nexmark events 0..N-1 as
 * `DIR/person.csv`, `DIR/auction.csv` and `DIR/bid.csv` (see runtime/stream/nexmark/). Each file is
 * written under a temporary name and renamed only when all three are complete, so DIR never holds
 * a partial set; an interrupted run leaves the old files (if any) as they were.
 */
import process from 'node:process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import cliProgress from 'cli-progress';
import { NexmarkGenerator, eventKind, type NexmarkEventKind } from '../stream/nexmark/generator.js';
import { nexmarkHeader, nexmarkRecord } from '../stream/nexmark/csv.js';
import { WrtError } from '../errors.js';

export interface GenerateOptions {
  events: number;
  seed: number;
  output: string;
  overwrite: boolean;
  progress: boolean;
}

export interface GenerateSummary {
  events: number;
  seed: number;
  persons: number;
  auctions: number;
  bids: number;
  bytes: number;
  seconds: number;
  output: string;
}

const KINDS: NexmarkEventKind[] = ['person', 'auction', 'bid'];
/** Text gathered per file before one write, in UTF-16 code units. */
const FLUSH_CHARS = 1 << 20;

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/**
 * @throws WrtError `WRT_INVALID_ARGUMENT` for a bad count or seed, `WRT_OUTPUT_EXISTS` when DIR
 *   already holds Nexmark files and `overwrite` is false.
 */
export async function generateNexmark(o: GenerateOptions): Promise<GenerateSummary> {
  if (!Number.isSafeInteger(o.events) || o.events < 0)
    throw new WrtError('WRT_INVALID_ARGUMENT', `--events must be a non-negative integer, got ${o.events}`);
  if (!Number.isSafeInteger(o.seed) || o.seed < 0)
    throw new WrtError('WRT_INVALID_ARGUMENT', `--seed must be a non-negative integer, got ${o.seed}`);
  const started = performance.now();
  const existing = await readdir(o.output).catch(() => [] as string[]);
  const clash = existing.filter((f) => KINDS.some((k) => f === `${k}.csv`));
  if (clash.length > 0 && !o.overwrite)
    throw new WrtError('WRT_OUTPUT_EXISTS', `${o.output} already holds ${clash.join(', ')}; choose another directory or pass --overwrite`);
  await mkdir(o.output, { recursive: true });

  const tag = `${process.pid}-${Date.now()}`;
  const tmp = (k: NexmarkEventKind): string => join(o.output, `.${k}.csv.${tag}.tmp`);
  const streams = new Map(KINDS.map((k) => [k, createWriteStream(tmp(k))]));
  const pending = new Map<NexmarkEventKind, string>(KINDS.map((k) => [k, nexmarkHeader(k)]));
  const counts = { person: 0, auction: 0, bid: 0 };
  let bytes = 0;
  const bar = o.progress
    ? new cliProgress.SingleBar(
        {
          format: 'nexmark [{bar}] {percentage}% | {value}/{total} events',
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(o.events, 0);
  try {
    const gen = new NexmarkGenerator({ seed: o.seed });
    for (let id = 0; id < o.events; id++) {
      const kind = eventKind(id);
      const text = pending.get(kind)! + nexmarkRecord(gen.event(id));
      counts[kind]++;
      if (text.length >= FLUSH_CHARS) {
        bytes += Buffer.byteLength(text);
        await write(streams.get(kind)!, text);
        pending.set(kind, '');
        bar?.update(id + 1);
      } else pending.set(kind, text);
    }
    for (const k of KINDS) {
      const text = pending.get(k)!;
      bytes += Buffer.byteLength(text);
      await write(streams.get(k)!, text);
      await close(streams.get(k)!);
    }
    for (const k of KINDS) await rename(tmp(k), join(o.output, `${k}.csv`));
  } catch (err) {
    for (const s of streams.values()) s.destroy();
    for (const k of KINDS) await rm(tmp(k), { force: true });
    throw err;
  } finally {
    bar?.stop();
  }
  return {
    events: o.events,
    seed: o.seed,
    persons: counts.person,
    auctions: counts.auction,
    bids: counts.bid,
    bytes,
    seconds: (performance.now() - started) / 1000,
    output: o.output,
  };
}
