/**
 * The head's trust records of volunteers (untrusted browser tabs), after BOINC's adaptive
 * replication (D. P. Anderson, "BOINC: A Platform for Volunteer Computing", J. Grid Computing
 * 2020, "adaptive replication"): a new volunteer's every result is replicated and compared; after
 * {@link VolunteerPolicy.trustAfter} valid results in a row it is trusted, and its work is then
 * replicated only as a spot-check, with probability max(`spotCheckFloor`, 1 / streak) — the
 * longer its record, the rarer the check. One invalid result resets the streak (and the trust);
 * `quarantineAfter` invalid results quarantine it: it gets no more work, its running work goes to
 * others, and its results not verified yet are discarded by the jobs that hold them.
 *
 * A volunteer's pace (an exponentially weighted mean of its work units' wall time, ms) sets the
 * deadline of its next unit; a unit past its deadline is given to another node and halves the
 * volunteer's concurrent units (a throttled or stalled tab gets less), an in-time one raises them
 * again by one, up to the slots it offers.
 *
 * Records are kept by node id: a volunteer that reconnects is a new node with no record (like a new
 * BOINC host), so leaving and rejoining never earns trust back.
 */

/** How volunteer work is replicated and judged; every field has a documented default. */
export interface VolunteerPolicy {
  /** Agreeing results that accept the output of a replicated unit. @default 2 */
  quorum: number;
  /** Volunteer results one unit may gather; past it, a trusted node decides. @default 4 */
  maxReplicas: number;
  /** Valid results in a row after which a volunteer is trusted (spot-checked only). @default 10 (BOINC) */
  trustAfter: number;
  /** Lowest probability that a trusted volunteer's unit is replicated anyway. @default 0.05 */
  spotCheckFloor: number;
  /** Invalid results that quarantine a volunteer. @default 2 */
  quarantineAfter: number;
  /** Deadline of a volunteer's unit: this many times its pace. @default 4 */
  deadlineFactor: number;
  /** Lowest deadline of a volunteer's unit, ms (also the deadline while its pace is unknown, ×3). @default 10000 */
  minDeadlineMs: number;
}

export const DEFAULT_VOLUNTEER_POLICY: Readonly<VolunteerPolicy> = {
  quorum: 2,
  maxReplicas: 4,
  trustAfter: 10,
  spotCheckFloor: 0.05,
  quarantineAfter: 2,
  deadlineFactor: 4,
  minDeadlineMs: 10_000,
};

/** One volunteer's record, as the REST API, `wrt status` and its own page show it. */
export interface TrustRecord {
  nodeId: string;
  /** Results that agreed with the accepted output. */
  valid: number;
  /** Results that disagreed with it. */
  invalid: number;
  /** Valid results since the last invalid one. */
  streak: number;
  /** Spot-checked rather than always replicated. */
  trusted: boolean;
  quarantined: boolean;
  /** Units it finished (compared or not). */
  unitsDone: number;
  /** Units that passed their deadline on it. */
  unitsLate: number;
  /** Mean wall time of its units, ms (exponentially weighted; 0 = none finished yet). */
  paceMs: number;
  /** Units it may run at once now (halved when one is late). */
  allowedUnits: number;
}

/** Weight of the newest unit in the pace mean. */
const PACE_WEIGHT = 0.3;

export class TrustBook {
  private readonly records = new Map<string, TrustRecord>();
  readonly policy: VolunteerPolicy;

  /**
   * @param policy overrides of {@link DEFAULT_VOLUNTEER_POLICY}
   * @param random uniform numbers in [0, 1) that decide spot-checks (tests pass a seeded one)
   * @throws RangeError when a policy value is out of range (quorum < 2, maxReplicas < quorum, …)
   */
  constructor(
    policy: Partial<VolunteerPolicy> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.policy = { ...DEFAULT_VOLUNTEER_POLICY, ...policy };
    const p = this.policy;
    if (!(p.quorum >= 2)) throw new RangeError(`volunteer quorum must be at least 2 (got ${p.quorum})`);
    if (!(p.maxReplicas >= p.quorum)) throw new RangeError(`max replicas (${p.maxReplicas}) must be at least the quorum (${p.quorum})`);
    if (!(p.spotCheckFloor > 0 && p.spotCheckFloor <= 1))
      throw new RangeError(`spot-check floor must be in (0, 1] (got ${p.spotCheckFloor})`);
    if (!(p.trustAfter >= 1 && p.quarantineAfter >= 1)) throw new RangeError('trustAfter and quarantineAfter must be at least 1');
  }

  /** A volunteer joined offering `slots` slots. */
  join(nodeId: string, slots: number): TrustRecord {
    const r: TrustRecord = {
      nodeId,
      valid: 0,
      invalid: 0,
      streak: 0,
      trusted: false,
      quarantined: false,
      unitsDone: 0,
      unitsLate: 0,
      paceMs: 0,
      allowedUnits: Math.max(1, slots),
    };
    this.records.set(nodeId, r);
    return r;
  }

  leave(nodeId: string): void {
    this.records.delete(nodeId);
  }

  get(nodeId: string): TrustRecord | undefined {
    return this.records.get(nodeId);
  }

  all(): IterableIterator<TrustRecord> {
    return this.records.values();
  }

  /**
   * Results a unit placed first on volunteer `nodeId` needs before it is accepted: 1 when the
   * volunteer is trusted and this unit is not drawn for a spot-check, else the quorum.
   */
  resultsWanted(nodeId: string): number {
    const r = this.records.get(nodeId);
    if (!r?.trusted) return this.policy.quorum;
    const p = Math.max(this.policy.spotCheckFloor, 1 / Math.max(1, r.streak));
    return this.random() < p ? this.policy.quorum : 1;
  }

  /** Volunteer `nodeId`'s result agreed with the accepted output. @returns true when it just became trusted */
  valid(nodeId: string): boolean {
    const r = this.records.get(nodeId);
    if (!r) return false;
    r.valid++;
    r.streak++;
    const earned = !r.trusted && r.streak >= this.policy.trustAfter;
    if (earned) r.trusted = true;
    return earned;
  }

  /** Volunteer `nodeId`'s result disagreed with the accepted output. @returns true when it is now quarantined */
  invalid(nodeId: string): boolean {
    const r = this.records.get(nodeId);
    if (!r || r.quarantined) return false;
    r.invalid++;
    r.streak = 0;
    r.trusted = false;
    if (r.invalid >= this.policy.quarantineAfter) r.quarantined = true;
    return r.quarantined;
  }

  /** Volunteer `nodeId` finished a unit in `elapsedMs` (its pace; one more unit allowed at once, up to `slots`). */
  finished(nodeId: string, elapsedMs: number, slots: number): void {
    const r = this.records.get(nodeId);
    if (!r) return;
    r.unitsDone++;
    r.paceMs = r.paceMs === 0 ? elapsedMs : r.paceMs * (1 - PACE_WEIGHT) + elapsedMs * PACE_WEIGHT;
    r.allowedUnits = Math.min(Math.max(1, slots), r.allowedUnits + 1);
  }

  /** A unit passed its deadline on volunteer `nodeId`: it may run half as many at once (at least one). */
  late(nodeId: string): void {
    const r = this.records.get(nodeId);
    if (!r) return;
    r.unitsLate++;
    r.allowedUnits = Math.max(1, Math.floor(r.allowedUnits / 2));
  }

  /** Some volunteer has earned trust and is not quarantined. */
  anyTrusted(): boolean {
    for (const r of this.records.values()) if (r.trusted && !r.quarantined) return true;
    return false;
  }

  /** Volunteer `nodeId` has earned trust and is not quarantined. */
  vouches(nodeId: string): boolean {
    const r = this.records.get(nodeId);
    return !!r && r.trusted && !r.quarantined;
  }

  /** The deadline of a unit that volunteer `nodeId` starts now, ms from now. */
  deadlineMs(nodeId: string): number {
    const pace = this.records.get(nodeId)?.paceMs ?? 0;
    const p = this.policy;
    return pace === 0 ? p.minDeadlineMs * 3 : Math.max(p.minDeadlineMs, p.deadlineFactor * pace);
  }
}
