/**
 * The node's module cache: a module's bytes travel with the first deployment of it to this node
 * and are kept for later ones; compiled modules are kept per module and memory cap (the cap is
 * compiled into the module's memory declaration, runtime/sandbox/wasm-binary.ts).
 */
import type { MessageOf } from '../protocol/messages.js';
import { WrtError } from '../errors.js';
import { capMemory, checkSandbox, WASM_PAGE_BYTES } from '../sandbox/wasm-binary.js';

/** Compiled modules are kept per module and memory cap (bytes). */
function compiledKey(hash: string, maxMemoryBytes: number): string {
  return `${hash}/${maxMemoryBytes}`;
}

export class ModuleCache {
  private readonly moduleBytes = new Map<string, Uint8Array>();
  private readonly compiled = new Map<string, Promise<WebAssembly.Module>>();
  /** The same modules once compiled, for calls that can be prepared without waiting. */
  private readonly ready = new Map<string, WebAssembly.Module>();

  /** The compiled module of deployment `d`, capped at its memory limit. */
  module(d: MessageOf<'DeployTask'>): Promise<WebAssembly.Module> {
    return this.compile(d.moduleHash, d.module, d.maxMemoryBytes);
  }

  /**
   * Module `hash` (its bytes given the first time, else empty) compiled with its memory capped at
   * `maxMemoryBytes` (rounded down to 64 KiB pages).
   * @throws WrtError `WRT_MISSING_EXPORT` (rejected) when the bytes never reached this node,
   *   `WRT_SANDBOX` (rejected) when the module breaks the sandbox's rules
   */
  compile(hash: string, module: Uint8Array, maxMemoryBytes: number): Promise<WebAssembly.Module> {
    if (module.byteLength > 0 && !this.moduleBytes.has(hash)) this.moduleBytes.set(hash, module.slice());
    const key = compiledKey(hash, maxMemoryBytes);
    let m = this.compiled.get(key);
    if (!m) {
      const bytes = this.moduleBytes.get(hash);
      if (!bytes) return Promise.reject(new WrtError('WRT_MISSING_EXPORT', `module ${hash} was never sent to this node`));
      // The sandbox's rules are checked before the module compiles (the head checked them at
      // submission too): one defined memory, no import outside the module's world.
      m = Promise.resolve().then(() => {
        checkSandbox(bytes);
        return WebAssembly.compile(capMemory(bytes, Math.floor(maxMemoryBytes / WASM_PAGE_BYTES)) as Uint8Array<ArrayBuffer>);
      });
      m.then(
        (compiled) => this.ready.set(key, compiled),
        () => {},
      );
      this.compiled.set(key, m);
    }
    return m;
  }

  /** The compiled module of `hash` at `maxMemoryBytes` when it is ready now, else undefined. */
  compiledNow(hash: string, maxMemoryBytes: number): WebAssembly.Module | undefined {
    return this.ready.get(compiledKey(hash, maxMemoryBytes));
  }
}
