/**
 * Input of a text job: resolving `--input` arguments (files, directories, globs) and splitting the
 * files into chunks that never cut a token or a UTF-8 sequence.
 *
 * A chunk ends just after an ASCII byte that is neither a letter nor a digit. Such a byte is a
 * complete UTF-8 sequence on its own, no decoder folds it into a replacement character, and it is
 * never part of a token (`[\p{L}\p{M}\p{N}]+`), so decoding and tokenizing each chunk on its own
 * gives exactly the tokens of the whole file. Files smaller than a chunk are packed into one chunk,
 * joined by "\n" (again a separator). A file with no such byte for longer than a chunk is split
 * at the next one, however far.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { WrtError } from '../errors.js';

export interface InputFile {
  path: string;
  bytes: number;
}

export interface ChunkSegment {
  file: number;
  start: number;
  end: number;
}

export interface ChunkPlan {
  files: InputFile[];
  chunks: ChunkSegment[][];
  totalBytes: number;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Expands `--input` arguments into files, in a stable order (sorted within each argument).
 * @throws WrtError `WRT_INPUT_NOT_FOUND` naming the first argument that matches no file.
 */
export async function resolveInputs(args: string[]): Promise<InputFile[]> {
  if (args.length === 0) throw new WrtError('WRT_INVALID_ARGUMENT', 'no input given: pass --input PATH (a file, a directory or a glob)');
  const seen = new Set<string>();
  const files: InputFile[] = [];
  for (const arg of args) {
    let paths: string[];
    const st = await stat(arg).catch(() => null);
    if (st?.isFile()) paths = [resolve(arg)];
    else if (st?.isDirectory()) paths = (await walk(resolve(arg))).sort();
    else if (/[*?[\]{}]/.test(arg)) paths = (await glob(arg, { absolute: true, onlyFiles: true })).sort();
    else throw new WrtError('WRT_INPUT_NOT_FOUND', `input ${arg} does not exist`);
    if (paths.length === 0) throw new WrtError('WRT_INPUT_NOT_FOUND', `input ${arg} matches no file`);
    for (const p of paths) {
      if (seen.has(p)) continue;
      seen.add(p);
      files.push({ path: p, bytes: (await stat(p)).size });
    }
  }
  return files;
}

const isSeparator = (b: number): boolean => b < 0x80 && !((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a));

const WINDOW = 64 * 1024;

/** Offset just after the last separator in [from - WINDOW, from), searching forward if none. */
async function cutNear(fd: Awaited<ReturnType<typeof open>>, size: number, target: number): Promise<number> {
  const buf = Buffer.alloc(WINDOW);
  const lo = Math.max(0, target - WINDOW);
  const { bytesRead } = await fd.read(buf, 0, target - lo, lo);
  for (let i = bytesRead - 1; i >= 0; i--) if (isSeparator(buf[i]!)) return lo + i + 1;
  for (let at = target; at < size; at += WINDOW) {
    const r = await fd.read(buf, 0, Math.min(WINDOW, size - at), at);
    for (let i = 0; i < r.bytesRead; i++) if (isSeparator(buf[i]!)) return at + i + 1;
  }
  return size;
}

/** Plans chunks of about `chunkBytes` each. */
export async function planChunks(files: InputFile[], chunkBytes: number): Promise<ChunkPlan> {
  const chunks: ChunkSegment[][] = [];
  let packing: ChunkSegment[] = [];
  let packed = 0;
  const flush = (): void => {
    if (packing.length) chunks.push(packing);
    packing = [];
    packed = 0;
  };
  for (let f = 0; f < files.length; f++) {
    const size = files[f]!.bytes;
    if (size === 0) continue;
    if (size < chunkBytes) {
      if (packed + size > chunkBytes) flush();
      packing.push({ file: f, start: 0, end: size });
      packed += size + 1;
      continue;
    }
    flush();
    const fd = await open(files[f]!.path, 'r');
    try {
      let start = 0;
      while (start < size) {
        const end = size - start <= chunkBytes * 1.5 ? size : await cutNear(fd, size, start + chunkBytes);
        chunks.push([{ file: f, start, end }]);
        start = end;
      }
    } finally {
      await fd.close();
    }
  }
  flush();
  return { files, chunks, totalBytes: files.reduce((s, f) => s + f.bytes, 0) };
}

/** Reads chunk `index` of `plan`: its segments joined by "\n". */
export async function readChunk(plan: ChunkPlan, index: number): Promise<Uint8Array> {
  const segments = plan.chunks[index];
  if (!segments) throw new WrtError('WRT_INVALID_ARGUMENT', `no input chunk ${index}`);
  const total = segments.reduce((s, g) => s + g.end - g.start, 0) + segments.length - 1;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const [i, g] of segments.entries()) {
    if (i > 0) out[at++] = 0x0a;
    const fd = await open(plan.files[g.file]!.path, 'r');
    try {
      const { bytesRead } = await fd.read(out, at, g.end - g.start, g.start);
      if (bytesRead !== g.end - g.start) throw new WrtError('WRT_INPUT_NOT_FOUND', `${plan.files[g.file]!.path} changed while the job ran`);
      at += bytesRead;
    } finally {
      await fd.close();
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, total);
}
