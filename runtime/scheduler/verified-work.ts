/**
 * Work verified on volunteers (docs/volunteers.md): the units of one job, or the head's remote-
 * function tasks, that run on volunteers, each replicated and judged as a work unit (work-unit.ts)
 * under the volunteer pool's trust records (volunteer-pool.ts, volunteer-trust.ts).
 *
 * A unit placed first on a volunteer needs `wanted` agreeing results: the quorum, or one result of
 * a trusted volunteer not drawn for a spot-check. Disagreement starts more replicas on other
 * volunteers, up to the policy's `maxReplicas`; past it (or with no other volunteer to ask) a
 * trusted node runs the unit and its output decides. With `tail` (nothing left to place), trusted
 * slots with room also run the units whose every attempt has run over twice its volunteer's pace —
 * speculation (MapReduce's backup tasks), so that a slow volunteer does not hold the work up.
 *
 * Churn: an attempt past its deadline (the volunteer's pace × the policy's factor) is abandoned and
 * the unit replicated elsewhere (its result, should it come, is still judged); a volunteer that
 * leaves loses its attempts the same way. A quarantined volunteer's attempts are dropped and the
 * outputs it alone vouched for (accepted unverified) are rescinded: their work runs again.
 *
 * Outputs are the head's own copies of what came back; no volunteer's claim about an output counts.
 */
import type { VolunteerPool } from './volunteer-pool.js';
import { WorkUnit, sameBytes } from './work-unit.js';

/** One attempt of a unit. */
export interface VerifiedAttempt {
  /** The attempt's task id (`KEY#N` as its DeployTask says). */
  id: string;
  key: string;
  nodeId: string;
  volunteer: boolean;
  startedAt: number;
  /** ms since the epoch after which a volunteer's attempt is abandoned (Infinity on trusted nodes). */
  deadline: number;
}

/** What verified work needs of its owner (a batch job, the task manager). */
export interface VerifiedWorkHost {
  /** A fresh attempt id for unit `key`. */
  attemptId(key: string): string;
  /** Deploys attempt `a` of unit `key` on volunteer `a.nodeId`. */
  startOnVolunteer(a: VerifiedAttempt): void;
  /** Starts an attempt of unit `key` on a trusted node with room (its output must come to the head); false when none has room. */
  startOnTrusted(key: string, now: number): boolean;
  /** Unit `key`'s output is accepted: `bytes` (the head's copy), and how (see {@link Acceptance}). */
  accept(key: string, bytes: Uint8Array, how: Acceptance, now: number): void;
  /** Unit `key`'s accepted output is discarded (its only voucher was quarantined): the unit must run again. */
  rescind(key: string, now: number): void;
  /** Volunteer attempt `a` no longer counts (its volunteer left or was quarantined, or it passed its deadline). */
  dropped?(a: VerifiedAttempt): void;
  /** Why output `bytes` of unit `key` cannot be right (malformed), or null. A volunteer's such output counts as invalid. */
  check?(key: string, bytes: Uint8Array): string | null;
  log(line: string): void;
}

/** How a unit's output was accepted. */
export interface Acceptance {
  /** Volunteers whose results are the accepted output. */
  volunteers: string[];
  /** Attempts whose output is the accepted one (`KEY#N`; a trusted node's included), and their nodes. */
  attempts: string[];
  nodes: string[];
  /** Results that disagreed with it. */
  invalid: number;
  /** Compared with another result, or a trusted node's (false: one trusted volunteer's, not spot-checked). */
  verified: boolean;
  /** A trusted node's output decided it (the volunteers disagreed, or a straggler was overtaken). */
  byTrusted: boolean;
}

interface Unit {
  work: WorkUnit;
  /** The volunteers disagree: a trusted node must run it. */
  needsTrusted: boolean;
  /** A trusted node runs it now. */
  trustedRunning: number;
  /** Order of creation (speculation takes the oldest first). */
  order: number;
}

export class VerifiedWork {
  private readonly units = new Map<string, Unit>();
  /** Volunteer attempts running, by attempt id. */
  private readonly attempts = new Map<string, VerifiedAttempt>();
  /** Accepted outputs, to judge replicas that finish afterwards; `voucher`: the volunteer whose output was accepted unverified. */
  private readonly settled = new Map<string, { bytes: Uint8Array; voucher: string | null }>();
  /** Attempts abandoned at their deadline, by id. */
  private readonly abandoned = new Map<string, VerifiedAttempt>();
  private nextOrder = 0;

  constructor(
    private readonly host: VerifiedWorkHost,
    private readonly pool: VolunteerPool,
  ) {}

  /** Who may vouch for a group of agreeing volunteers: those with earned trust, once any has it. */
  private vouches(): ((nodeId: string) => boolean) | undefined {
    return this.pool.trust.anyTrusted() ? (id) => this.pool.trust.vouches(id) : undefined;
  }

  /** Some unit is unsettled (placing replicas has anything to do). */
  get busy(): boolean {
    return this.units.size > 0;
  }

  /** True when unit `key` exists and is not settled (its trusted attempts must send their output to the head). */
  unsettled(key: string): boolean {
    return this.units.has(key);
  }

  /** Keys of the units volunteer `nodeId` runs an attempt of now. */
  keysOn(nodeId: string): string[] {
    return [...this.attempts.values()].filter((a) => a.nodeId === nodeId).map((a) => a.key);
  }

  /** Volunteers running an attempt of unit `key` now. */
  nodesOf(key: string): string[] {
    return [...this.attempts.values()].filter((a) => a.key === key).map((a) => a.nodeId);
  }

  /** Places unit `key` (not yet placed anywhere) on a volunteer; false when none has room. */
  placeFirst(key: string, now: number): boolean {
    const existing = this.units.get(key);
    const v = this.pool.pick(existing?.work.tried ?? new Set());
    if (!v) return false;
    const unit = existing ?? this.newUnit(key, this.pool.trust.resultsWanted(v));
    this.startOn(key, unit, v, now);
    return true;
  }

  private newUnit(key: string, wanted: number): Unit {
    const unit: Unit = {
      work: new WorkUnit(wanted, this.pool.trust.policy.maxReplicas),
      needsTrusted: false,
      trustedRunning: 0,
      order: this.nextOrder++,
    };
    this.units.set(key, unit);
    return unit;
  }

  private startOn(key: string, unit: Unit, nodeId: string, now: number): void {
    const a: VerifiedAttempt = {
      id: this.host.attemptId(key),
      key,
      nodeId,
      volunteer: true,
      startedAt: now,
      deadline: this.pool.deadline(nodeId, now),
    };
    unit.work.start({ nodeId, trusted: false, attemptId: a.id, startedAt: now, deadline: a.deadline });
    this.attempts.set(a.id, a);
    this.pool.start(nodeId, a.id);
    this.host.startOnVolunteer(a);
  }

  /** A trusted attempt of unit `key` started (its owner placed it). */
  trustedStarted(key: string): void {
    const unit = this.units.get(key);
    if (unit) unit.trustedRunning++;
  }

  /** A trusted attempt of unit `key` ended without a result (its node failed or left). */
  trustedEnded(key: string): void {
    const unit = this.units.get(key);
    if (unit) unit.trustedRunning = Math.max(0, unit.trustedRunning - 1);
  }

  /** Replicas, trusted decisions and (with `tail`: nothing left to place) speculation. */
  placeReplicas(now: number, tail: boolean): void {
    for (const [key, unit] of this.units) {
      if (unit.needsTrusted) {
        if (unit.trustedRunning === 0) this.host.startOnTrusted(key, now);
        continue;
      }
      const vouches = this.vouches();
      const v = unit.work.verdict(vouches);
      if (v.kind === 'replicate') {
        for (let i = 0; i < v.count; i++) {
          const node = this.pool.pick(unit.work.tried, !!vouches);
          if (node) this.startOn(key, unit, node, now);
          else {
            // Nobody to ask (or, with nothing else left to place, nobody free now): a trusted node decides.
            if (unit.work.running.size === 0 && (tail || !this.pool.anyUntried(unit.work.tried)))
              this.decideOnTrusted(key, unit, now, 'no other volunteer free to compare with');
            break;
          }
        }
      } else if (v.kind === 'trusted') this.decideOnTrusted(key, unit, now, `${unit.work.results.length} volunteer results disagree`);
    }
    if (!tail) return;
    const stragglers = [...this.units]
      .filter(([, u]) => u.trustedRunning === 0 && this.straggling(u, now))
      .sort((a, b) => a[1].order - b[1].order);
    for (const [key] of stragglers) if (!this.host.startOnTrusted(key, now)) break;
  }

  /** Every attempt of `unit` has run over twice its volunteer's pace (2 s while the pace is unknown). */
  private straggling(unit: Unit, now: number): boolean {
    if (unit.work.running.size === 0) return false;
    for (const a of unit.work.running.values()) {
      const pace = this.pool.trust.get(a.nodeId)?.paceMs || 1000;
      if (now - a.startedAt <= 2 * pace) return false;
    }
    return true;
  }

  private decideOnTrusted(key: string, unit: Unit, now: number, why: string): void {
    unit.needsTrusted = true;
    this.host.log(`${key}: ${why}; a trusted node decides`);
    if (unit.trustedRunning === 0) this.host.startOnTrusted(key, now);
  }

  /**
   * Attempt `attemptId` of a unit returned `bytes` from `nodeId` (`trusted`: a trusted node's
   * attempt of unit `key`). False when it is no attempt this knows of (the caller ignores it).
   */
  result(attemptId: string, nodeId: string, bytes: Uint8Array, now: number, trusted?: { key: string }): boolean {
    let key: string;
    if (trusted) {
      key = trusted.key;
      this.trustedEnded(key);
    } else {
      const a = this.attempts.get(attemptId) ?? this.abandoned.get(attemptId);
      if (!a || a.nodeId !== nodeId) return false;
      key = a.key;
      if (this.attempts.delete(attemptId)) this.pool.finished(nodeId, attemptId, now - a.startedAt);
      else this.abandoned.delete(attemptId);
    }
    const settled = this.settled.get(key);
    if (settled) {
      // A replica that finished after the unit settled is still judged.
      if (!trusted) this.pool.judged(...split(sameBytes(settled.bytes, bytes), nodeId));
      return true;
    }
    const unit = this.units.get(key);
    if (!unit) return true;
    const wrong = trusted ? null : (this.host.check?.(key, bytes) ?? null);
    if (wrong) {
      // Malformed output: no result, and an invalid one.
      this.host.log(`${attemptId} from volunteer ${nodeId}: ${wrong}`);
      this.pool.judged([], [nodeId]);
      return true;
    }
    // A copy: `bytes` may be a view of the frame it came in, and the head keeps it.
    unit.work.add({ nodeId, trusted: !!trusted, attemptId, bytes: bytes.slice() });
    const v = unit.work.verdict(this.vouches());
    if (v.kind !== 'accepted') return true;
    this.units.delete(key);
    this.settled.set(key, { bytes: v.result.bytes, voucher: v.verified ? null : v.result.nodeId });
    this.host.accept(
      key,
      v.result.bytes,
      {
        volunteers: v.agree,
        attempts: v.attempts,
        nodes: v.nodes,
        invalid: v.disagree.length,
        verified: v.verified,
        byTrusted: v.result.trusted,
      },
      now,
    );
    this.pool.judged(v.agree, v.disagree);
    return true;
  }

  /** Volunteer attempt `attemptId` failed on `nodeId`: its unit goes on without it. False when unknown. */
  failed(attemptId: string, nodeId: string): boolean {
    const a = this.attempts.get(attemptId);
    if (!a || a.nodeId !== nodeId) return this.abandoned.delete(attemptId);
    this.drop(a);
    return true;
  }

  private drop(a: VerifiedAttempt): void {
    this.attempts.delete(a.id);
    this.units.get(a.key)?.work.drop(a.id);
    this.pool.end(a.nodeId, a.id);
    this.host.dropped?.(a);
  }

  /** Abandons volunteer attempts past their deadline (the volunteer gets less). */
  expire(now: number): void {
    for (const a of this.attempts.values()) {
      if (now <= a.deadline) continue;
      this.host.log(`${a.id} passed its deadline on volunteer ${a.nodeId}; replicating elsewhere`);
      this.drop(a);
      this.pool.late(a.nodeId, a.id);
      this.abandoned.set(a.id, a);
    }
  }

  /** Volunteer `nodeId` left: its attempts are dropped (their units replicate elsewhere). */
  lost(nodeId: string): void {
    for (const a of [...this.attempts.values()]) if (a.nodeId === nodeId) this.drop(a);
    for (const [id, a] of this.abandoned) if (a.nodeId === nodeId) this.abandoned.delete(id);
  }

  /** Volunteer `nodeId` was quarantined: its attempts are dropped and the outputs it alone vouched for rescinded. */
  quarantined(nodeId: string, now: number): void {
    this.lost(nodeId);
    for (const [key, s] of [...this.settled]) {
      if (s.voucher !== nodeId) continue;
      this.host.log(`${key}: discarding the unverified output of quarantined volunteer ${nodeId}`);
      this.settled.delete(key);
      this.host.rescind(key, now);
    }
  }

  /** Unit `key` is no longer wanted (its work ended or was cancelled): forget it and its attempts. */
  forget(key: string): void {
    this.units.delete(key);
    this.settled.delete(key);
    for (const a of [...this.attempts.values()]) if (a.key === key) this.drop(a);
  }

  /** Forgets every unit (the owner ended): frees the volunteers' room. */
  clear(): void {
    for (const a of [...this.attempts.values()]) this.drop(a);
    this.units.clear();
    this.settled.clear();
    this.abandoned.clear();
  }
}

/** `[agree, disagree]` for one node's result. */
function split(same: boolean, nodeId: string): [string[], string[]] {
  return same ? [[nodeId], []] : [[], [nodeId]];
}
