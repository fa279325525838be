/**
 * The volunteers a head knows, apart from its trusted nodes: what each offers now, the units it
 * runs, and its trust record (volunteer-trust.ts). Only work whose job or task allows volunteers
 * asks this pool for room — the resource ledger of trusted nodes never holds a volunteer — so
 * work that does not allow them cannot reach one.
 *
 * A volunteer runs at most min(slots it offers now, units its record allows) units at once, one
 * slot each; it never runs two replicas of one unit (callers pass the nodes a unit has tried).
 */
import type { Message } from '../protocol/messages.js';
import { TrustBook, type TrustRecord, type VolunteerPolicy } from './volunteer-trust.js';

/** What the pool needs of the head. */
export interface VolunteerPoolHost {
  sendToNode(nodeId: string, m: Message): void;
  log(line: string): void;
  /** Volunteer `nodeId` was just quarantined: the jobs and the task manager drop its work. */
  quarantined(nodeId: string): void;
}

/**
 * A volunteer's trust record as the REST API shows it (`trust` of a node): its {@link TrustRecord}
 * (pace rounded to whole ms) with `offered` (slots it offers now; 0 paused) and `runningUnits`.
 */
export type VolunteerView = Omit<TrustRecord, 'nodeId' | 'allowedUnits'> & { offered: number; runningUnits: number };

interface Volunteer {
  name: string;
  /** Slots it registered with. */
  slots: number;
  /** Slots it offers now (0: paused). */
  offered: number;
  /** Units it runs now, by attempt id. */
  running: Set<string>;
}

export class VolunteerPool {
  private readonly volunteers = new Map<string, Volunteer>();
  readonly trust: TrustBook;

  constructor(
    private readonly host: VolunteerPoolHost,
    policy: Partial<VolunteerPolicy> = {},
    random: () => number = Math.random,
  ) {
    this.trust = new TrustBook(policy, random);
  }

  join(nodeId: string, name: string, slots: number): void {
    this.volunteers.set(nodeId, { name, slots, offered: slots, running: new Set() });
    this.trust.join(nodeId, slots);
    this.report(nodeId);
  }

  leave(nodeId: string): void {
    this.volunteers.delete(nodeId);
    this.trust.leave(nodeId);
  }

  has(nodeId: string): boolean {
    return this.volunteers.has(nodeId);
  }

  /** Volunteer `nodeId` now offers `cpus` slots (-1: all it registered with; 0: paused). */
  offer(nodeId: string, cpus: number): void {
    const v = this.volunteers.get(nodeId);
    if (!v) return;
    const offered = cpus < 0 ? v.slots : Math.min(v.slots, cpus);
    if (offered !== v.offered) this.host.log(`head: volunteer ${nodeId} "${v.name}" now offers ${offered} of ${v.slots} slots`);
    v.offered = offered;
  }

  /** Units volunteer `nodeId` may still start now. */
  room(nodeId: string): number {
    const v = this.volunteers.get(nodeId);
    const r = this.trust.get(nodeId);
    if (!v || !r || r.quarantined) return 0;
    return Math.max(0, Math.min(v.offered, r.allowedUnits) - v.running.size);
  }

  /** Some volunteer that offers slots (not paused, not quarantined) has not tried the unit, whether or not it has room now. */
  anyUntried(tried: ReadonlySet<string>): boolean {
    for (const [id, v] of this.volunteers) if (!tried.has(id) && v.offered > 0 && !this.trust.get(id)?.quarantined) return true;
    return false;
  }

  /** The volunteer with the most room that has not tried the unit (with `preferTrusted`, a trusted one when one has room), or null. */
  pick(tried: ReadonlySet<string>, preferTrusted = false): string | null {
    let best: string | null = null;
    let bestRoom = 0;
    let bestTrusted = false;
    for (const id of this.volunteers.keys()) {
      if (tried.has(id)) continue;
      const room = this.room(id);
      if (room === 0) continue;
      const trusted = preferTrusted && this.trust.vouches(id);
      if ((trusted && !bestTrusted) || (trusted === bestTrusted && room > bestRoom)) {
        bestTrusted = trusted;
        best = id;
        bestRoom = room;
      }
    }
    return best;
  }

  /** Volunteer `nodeId` starts attempt `attemptId`. */
  start(nodeId: string, attemptId: string): void {
    this.volunteers.get(nodeId)?.running.add(attemptId);
  }

  /** Attempt `attemptId` on volunteer `nodeId` ended (with or without a result). */
  end(nodeId: string, attemptId: string): void {
    this.volunteers.get(nodeId)?.running.delete(attemptId);
  }

  /** Attempt `attemptId` finished on `nodeId` in `elapsedMs` (the volunteer's pace). */
  finished(nodeId: string, attemptId: string, elapsedMs: number): void {
    const v = this.volunteers.get(nodeId);
    this.end(nodeId, attemptId);
    if (v) this.trust.finished(nodeId, elapsedMs, v.slots);
  }

  /** Attempt `attemptId` passed its deadline on `nodeId`: the volunteer gets less. */
  late(nodeId: string, attemptId: string): void {
    this.end(nodeId, attemptId);
    this.trust.late(nodeId);
    this.host.log(
      `head: volunteer ${nodeId} missed a unit's deadline; it may now run ${this.trust.get(nodeId)?.allowedUnits ?? 0} at once`,
    );
  }

  /** Deadline of a unit volunteer `nodeId` starts at `now`, ms since the epoch. */
  deadline(nodeId: string, now: number): number {
    return now + this.trust.deadlineMs(nodeId);
  }

  /**
   * Results of one unit were judged: `agree` matched the accepted output, `disagree` did not.
   * Updates their records, tells them, and quarantines the repeat offenders.
   */
  judged(agree: readonly string[], disagree: readonly string[]): void {
    for (const id of agree) {
      if (this.trust.valid(id))
        this.host.log(`head: volunteer ${id} is now trusted (${this.trust.policy.trustAfter} valid results in a row)`);
      this.report(id);
    }
    for (const id of disagree) {
      const quarantined = this.trust.invalid(id);
      this.report(id);
      if (quarantined) {
        this.host.log(`head: volunteer ${id} quarantined after ${this.trust.get(id)?.invalid} invalid results`);
        this.host.quarantined(id);
      } else this.host.log(`head: volunteer ${id} returned an invalid result`);
    }
  }

  /** Volunteer `nodeId`'s record with what it offers now and the units it runs (the REST API's `trust`). */
  record(nodeId: string): VolunteerView | undefined {
    const v = this.volunteers.get(nodeId);
    const r = this.trust.get(nodeId);
    if (!v || !r) return undefined;
    const { valid, invalid, streak, trusted, quarantined, unitsDone, unitsLate, paceMs } = r;
    return {
      valid,
      invalid,
      streak,
      trusted,
      quarantined,
      unitsDone,
      unitsLate,
      paceMs: Math.round(paceMs),
      offered: v.offered,
      runningUnits: v.running.size,
    };
  }

  private report(nodeId: string): void {
    const r = this.trust.get(nodeId);
    if (!r) return;
    this.host.sendToNode(nodeId, {
      type: 'TrustReport',
      valid: r.valid,
      invalid: r.invalid,
      streak: r.streak,
      trusted: r.trusted,
      quarantined: r.quarantined,
      unitsDone: r.unitsDone,
    });
  }
}
