/**
 * The head's object directory: for each object its state, where its bytes are (a node's store,
 * or inline here when small), who references it, and its lineage (the task that made it, so a lost
 * copy can be rebuilt). The role of Ray's ownership table; here the head keeps it for every owner.
 */
import type { FailureRecord } from '../errors.js';

export interface ObjectEntry {
  id: string;
  state: 'pending' | 'ready' | 'failed';
  /**
   * Where the bytes are: the node whose store holds them, or the driver that holds its own large
   * put (ADR 0010); '' when inline or pending.
   */
  nodeId: string;
  sizeBytes: number;
  inline: Uint8Array | null;
  failure: FailureRecord | null;
  /** Task id whose result this is (null for rt.put objects). */
  lineage: string | null;
  /** References held by drivers and by queued tasks. */
  refs: number;
  /** Driver session that owns the ref (receives ObjectReady). */
  owner: string;
}

export class ObjectDirectory {
  private readonly entries = new Map<string, ObjectEntry>();
  /** Objects in the directory per owner (the head's per-driver limit counts them). */
  private readonly owned = new Map<string, number>();

  /** How many objects `owner` has in the directory now. */
  countOwnedBy(owner: string): number {
    return this.owned.get(owner) ?? 0;
  }

  get(id: string): ObjectEntry | undefined {
    return this.entries.get(id);
  }

  /** Registers an object that a task will produce (or a put has just stored). */
  create(id: string, owner: string, lineage: string | null): ObjectEntry {
    const e: ObjectEntry = { id, state: 'pending', nodeId: '', sizeBytes: 0, inline: null, failure: null, lineage, refs: 1, owner };
    const old = this.entries.get(id);
    if (old) this.disown(old.owner);
    this.entries.set(id, e);
    this.owned.set(owner, this.countOwnedBy(owner) + 1);
    return e;
  }

  ready(id: string, nodeId: string, sizeBytes: number, inline: Uint8Array | null): ObjectEntry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    Object.assign(e, { state: 'ready', nodeId, sizeBytes, inline, failure: null });
    return e;
  }

  fail(id: string, failure: FailureRecord): ObjectEntry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    Object.assign(e, { state: 'failed', failure, nodeId: '', inline: null });
    return e;
  }

  /** Drops one reference; returns the entry when it is now unreferenced (and removed). */
  release(id: string): ObjectEntry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (--e.refs > 0) return undefined;
    this.entries.delete(id);
    this.disown(e.owner);
    return e;
  }

  private disown(owner: string): void {
    const n = this.countOwnedBy(owner) - 1;
    if (n > 0) this.owned.set(owner, n);
    else this.owned.delete(owner);
  }

  retain(id: string): void {
    const e = this.entries.get(id);
    if (e) e.refs++;
  }

  /** Objects whose bytes live on `nodeId`. */
  onNode(nodeId: string): ObjectEntry[] {
    return [...this.entries.values()].filter((e) => e.state === 'ready' && e.nodeId === nodeId);
  }

  /** Every object owned by `owner`. */
  ownedBy(owner: string): ObjectEntry[] {
    return [...this.entries.values()].filter((e) => e.owner === owner);
  }
}
