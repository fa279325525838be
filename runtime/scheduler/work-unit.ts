/**
 * One unit of deterministic work replicated across volunteers (BOINC's "work unit" and its
 * "results"): the attempts running it, the outputs they returned, and the verdict. Outputs are
 * compared byte for byte — wasm is deterministic, so honest replicas agree exactly — grouped by a
 * 64-bit FNV-1a digest of their bytes (FNV: Fowler, Noll, Vo; http://www.isthe.com/chongo/tech/comp/fnv/)
 * and confirmed by comparing the bytes themselves, so a digest collision never merges two outputs.
 *
 * The head holds the outputs it judges (a volunteer's claim about its output is never trusted:
 * the bytes come back with its TaskStatus), so the accepted output is the head's copy.
 */

/** One attempt's output. */
export interface UnitResult {
  nodeId: string;
  /** Ran on a trusted node: its output is accepted as it is and judges the others. */
  trusted: boolean;
  /** The attempt's task id (`SUBTASK#ATTEMPT`). */
  attemptId: string;
  bytes: Uint8Array;
}

/** An attempt running now. */
export interface UnitAttempt {
  nodeId: string;
  trusted: boolean;
  attemptId: string;
  startedAt: number;
  /** ms since the epoch after which the attempt is abandoned (Infinity on trusted nodes). */
  deadline: number;
}

export type UnitVerdict =
  /**
   * `agree`/`disagree`: the volunteers whose results matched the accepted output, or not;
   * `attempts` and `nodes`: every attempt whose output is the accepted one, and its node (trusted
   * ones too); `verified`: compared with another result, or a trusted node's.
   */
  | { kind: 'accepted'; result: UnitResult; agree: string[]; disagree: string[]; attempts: string[]; nodes: string[]; verified: boolean }
  /** Start `count` more replicas on volunteers that have not run it. */
  | { kind: 'replicate'; count: number }
  /** The volunteers disagree past `maxReplicas`: a trusted node must run it. */
  | { kind: 'trusted' }
  /** Results still to come. */
  | { kind: 'wait' };

/** 64-bit FNV-1a of `bytes`, as 16 hex digits (two 32-bit halves; fast, not cryptographic). */
export function digestOf(bytes: Uint8Array): string {
  // FNV-1a 64: offset basis 0xcbf29ce484222325, prime 0x100000001b3, in 16-bit limbs.
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i]!;
    // × 0x100000001b3 = × (2^40 + 0x1b3)
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3;
    const t2 = h2 * 0x1b3 + (h0 << 8);
    const t3 = h3 * 0x1b3 + (h1 << 8);
    h0 = t0 & 0xffff;
    const c1 = t1 + (t0 >>> 16);
    h1 = c1 & 0xffff;
    const c2 = t2 + (c1 >>> 16);
    h2 = c2 & 0xffff;
    h3 = (t3 + (c2 >>> 16)) & 0xffff;
  }
  return [h3, h2, h1, h0].map((h) => h.toString(16).padStart(4, '0')).join('');
}

/** True when `a` and `b` hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class WorkUnit {
  readonly results: UnitResult[] = [];
  readonly running = new Map<string, UnitAttempt>();
  /** Nodes that ran or run it (a replica never goes to the same volunteer twice). */
  readonly tried = new Set<string>();
  private readonly digests: string[] = [];

  /**
   * @param wanted agreeing results that accept it: 1 (a trusted volunteer, no spot-check) or the quorum
   * @param maxReplicas volunteer results it may gather before a trusted node decides
   */
  constructor(
    public wanted: number,
    private readonly maxReplicas: number,
  ) {}

  start(a: UnitAttempt): void {
    this.running.set(a.attemptId, a);
    this.tried.add(a.nodeId);
  }

  /** The attempt ended without a result (its node left, it failed, or it passed its deadline). */
  drop(attemptId: string): UnitAttempt | undefined {
    const a = this.running.get(attemptId);
    this.running.delete(attemptId);
    return a;
  }

  /** Records attempt `r.attemptId`'s output. */
  add(r: UnitResult): void {
    this.running.delete(r.attemptId);
    this.results.push(r);
    this.digests.push(digestOf(r.bytes));
  }

  /** Results grouped by equal bytes, largest group first. */
  private groups(): UnitResult[][] {
    const groups: { digest: string; members: UnitResult[] }[] = [];
    this.results.forEach((r, i) => {
      const d = this.digests[i]!;
      const g = groups.find((x) => x.digest === d && sameBytes(x.members[0]!.bytes, r.bytes));
      if (g) g.members.push(r);
      else groups.push({ digest: d, members: [r] });
    });
    return groups.map((g) => g.members).sort((a, b) => b.length - a.length);
  }

  /**
   * What to do next. With `vouches` (the volunteers whose trust is earned, when any exist), a group
   * of agreeing volunteers counts only when one of them vouches: cheaters that happen to corrupt a
   * unit the same way (or collude) cannot make up a quorum of untrusted volunteers alone.
   */
  verdict(vouches?: (nodeId: string) => boolean): UnitVerdict {
    const groups = this.groups();
    const trusted = this.results.find((r) => r.trusted);
    const accept = (result: UnitResult, group: UnitResult[] | undefined): UnitVerdict => {
      const agree = (group ?? []).filter((r) => !r.trusted).map((r) => r.nodeId);
      const disagree = this.results.filter((r) => !r.trusted && !(group ?? []).includes(r)).map((r) => r.nodeId);
      const attempts = (group ?? [result]).map((r) => r.attemptId);
      const nodes = (group ?? [result]).map((r) => r.nodeId);
      return { kind: 'accepted', result, agree, disagree, attempts, nodes, verified: this.results.length > 1 || result.trusted };
    };
    if (trusted)
      return accept(
        trusted,
        groups.find((g) => g.includes(trusted)),
      );
    const qualifies = (g: UnitResult[]): boolean => g.length >= this.wanted && (!vouches || g.some((r) => vouches(r.nodeId)));
    const best = groups.find(qualifies);
    if (best) return accept(best[0]!, best);
    const volunteerResults = this.results.length;
    // The largest group needs the rest of its quorum, or (large enough) one result that vouches.
    const need = Math.max(1, this.wanted - (groups[0]?.length ?? 0));
    const room = this.maxReplicas - volunteerResults - this.running.size;
    const count = Math.min(room, need - this.running.size);
    if (count > 0) return { kind: 'replicate', count };
    if (this.running.size > 0) return { kind: 'wait' };
    return { kind: 'trusted' };
  }
}
