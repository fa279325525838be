/**
 * The output directory of a job: `DIR/part-NNNNN.EXT` files (`tsv` for batch jobs, `csv` for
 * stream jobs) and `DIR/_SUCCESS`. Parts are written under temporary names as their pieces arrive
 * and renamed only when the whole job has succeeded; on failure the temporary files are removed,
 * so a directory never holds a half-written result.
 */
import { appendFile, mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { WrtError } from '../errors.js';

export class OutputDir {
  private readonly written = new Set<number>();
  private readonly tag = `${process.pid}-${Date.now()}`;

  private constructor(
    readonly dir: string,
    readonly ext: string,
    /** Whether {@link open} made the directory (then {@link abort} removes it again). */
    private readonly created: boolean,
  ) {}

  private partName(p: number): string {
    return `part-${String(p).padStart(5, '0')}.${this.ext}`;
  }

  /**
   * Prepares `dir`.
   * @throws WrtError `WRT_OUTPUT_EXISTS` when it holds files and `overwrite` is false.
   */
  static async open(dir: string, overwrite: boolean, ext = 'tsv'): Promise<OutputDir> {
    const entries = await readdir(dir).catch(() => null);
    if (entries && entries.length > 0) {
      if (!overwrite) {
        throw new WrtError('WRT_OUTPUT_EXISTS', `output directory ${dir} is not empty; choose another or pass --overwrite`);
      }
    }
    await mkdir(dir, { recursive: true });
    return new OutputDir(dir, ext, entries === null);
  }

  private tmp(p: number): string {
    return join(this.dir, `.${this.partName(p)}.${this.tag}.tmp`);
  }

  /** Parts written so far: one more than the highest part number seen. */
  get partsWritten(): number {
    return this.written.size === 0 ? 0 : Math.max(...this.written) + 1;
  }

  /** Appends `data` to part `partition` (a batch job sends each part once, a stream job in pieces). */
  async writePart(partition: number, data: Uint8Array): Promise<void> {
    if (this.written.has(partition)) await appendFile(this.tmp(partition), data);
    else await writeFile(this.tmp(partition), data);
    this.written.add(partition);
  }

  /**
   * Renames every part into place (replacing an earlier result's files) and writes _SUCCESS —
   * unless `success` is false: a stream job stopped with a savepoint leaves its output up to the
   * savepoint without the marker.
   */
  async commit(partitions: number, success = true): Promise<void> {
    for (let p = 0; p < partitions; p++) if (!this.written.has(p)) await this.writePart(p, new Uint8Array(0));
    const stale = (await readdir(this.dir)).filter((f) => f === '_SUCCESS' || /^part-\d{5}\.(tsv|csv)$/.test(f));
    for (const f of stale) await rm(join(this.dir, f));
    for (let p = 0; p < partitions; p++) await rename(this.tmp(p), join(this.dir, this.partName(p)));
    if (!success) return;
    const marker = join(this.dir, `._SUCCESS.${this.tag}.tmp`);
    await writeFile(marker, '');
    await rename(marker, join(this.dir, '_SUCCESS'));
  }

  /** Removes what this run wrote, and the directory if this run made it and it is empty. */
  async abort(): Promise<void> {
    for (const p of this.written) await rm(this.tmp(p), { force: true });
    if (this.created) await rmdir(this.dir).catch(() => {});
  }
}
