/**
 * Spilled objects on the local file system (Node): one file per object in a directory of its own,
 * written under a temporary name and renamed, so a file that exists is whole. Synchronous: the
 * object store spills and restores inside an allocation (a cost paid only when the arena is full).
 */
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpillStorage } from '../platform.js';
import { WrtError } from '../../errors.js';

/** File names are object ids with anything but `[A-Za-z0-9._-]` escaped (ids hold `/` and `#`). */
function fileName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * A spill directory at `dir`, created on the first write and removed with its files by `close`.
 * `write` throws `WRT_OBJECT_STORE_FULL` when the directory cannot be created or written (disk
 * full, no permission).
 */
export function fileSpillStorage(dir: string): SpillStorage {
  let made = false;
  return {
    write(id, bytes) {
      const path = join(dir, fileName(id));
      try {
        if (!made) mkdirSync(dir, { recursive: true });
        made = true;
        writeFileSync(path + '.tmp', bytes);
        renameSync(path + '.tmp', path);
      } catch (err) {
        rmSync(path + '.tmp', { force: true });
        throw new WrtError('WRT_OBJECT_STORE_FULL', `could not spill object ${id} to ${dir}: ${(err as Error).message}`);
      }
    },
    read(id, into) {
      const fd = openSync(join(dir, fileName(id)), 'r');
      try {
        let at = 0;
        while (at < into.byteLength) {
          const n = readSync(fd, into, at, into.byteLength - at, at);
          if (n === 0) throw new WrtError('WRT_OBJECT_LOST', `spilled object ${id} is truncated on disk`);
          at += n;
        }
      } finally {
        closeSync(fd);
      }
    },
    remove(id) {
      rmSync(join(dir, fileName(id)), { force: true });
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
