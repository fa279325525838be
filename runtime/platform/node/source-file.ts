/** Files for stream jobs' file sources in Node (runtime/stream/file-source.ts): synchronous positional reads. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { SourceFile } from '../platform.js';

/** @throws the fs error (ENOENT, EACCES, …) when the file cannot be opened. */
export function openFile(path: string): SourceFile {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, out, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return got === length ? out : out.subarray(0, got);
    },
    close: () => closeSync(fd),
  };
}
