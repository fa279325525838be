/**
 * A batch job's maps on volunteers (docs/volunteers.md): the verified work (verified-work.ts) of a
 * job submitted with `--volunteers`, wired to its subtasks — a map placed on a volunteer becomes an
 * attempt of the job; an accepted output is held by the head (batch-held.ts) and the map is done;
 * a rescinded one sends the map back to pending — and what verification cost and found.
 */
import type { Attempt, Subtask } from './batch-subtask.js';
import { subtaskOf } from './batch-subtask.js';
import { malformedBatch, type HeldOutputs } from './batch-held.js';
import { VerifiedWork } from './verified-work.js';
import type { VolunteerPool } from './volunteer-pool.js';

/** What a job's volunteer maps need of the job (batch-job.ts). */
export interface VolunteerMapsHost {
  jobId: string;
  maps: readonly Subtask[];
  partitions: number;
  /** The map operator (named in errors about malformed outputs). */
  operator: string;
  /** What the job keeps on the head. */
  kept: HeldOutputs;
  /** Places an attempt of map `t` on a trusted node; false when none has room. */
  placeTrusted(t: Subtask, now: number): boolean;
  /** Registers and starts attempt `a` of map `t` (asks for its chunk, or deploys it with the cached one). */
  startMap(t: Subtask, a: Attempt): void;
  /** Map `t` is done with an output the head holds (read from an input chunk of `inputBytes` bytes), produced on `nodes`. */
  mapDone(t: Subtask, inputBytes: number, nodes: string[], now: number): void;
  /** Map `t`'s accepted output was discarded: it is pending again, and the reduces must run again. */
  mapRescinded(t: Subtask, now: number): void;
  log(line: string): void;
}

/**
 * What verification cost and found: map attempts that returned an output (every replica, trusted
 * and volunteer, late ones too), results that disagreed with the accepted output, outputs accepted
 * unverified (one trusted volunteer's), units a trusted node decided, accepted outputs rescinded.
 */
export interface VerificationCounters {
  mapAttemptsFinished: number;
  invalidResults: number;
  acceptedUnverified: number;
  decidedByTrusted: number;
  rescinded: number;
}

/** Counters at zero. */
export function noVerification(): VerificationCounters {
  return { mapAttemptsFinished: 0, invalidResults: 0, acceptedUnverified: 0, decidedByTrusted: 0, rescinded: 0 };
}

/** The verified work of job `host`'s maps on `pool`'s volunteers, and its counters. */
export function volunteerMaps(host: VolunteerMapsHost, pool: VolunteerPool): { verified: VerifiedWork; counters: VerificationCounters } {
  const counters = noVerification();
  const mapOf = (key: string): Subtask => subtaskOf(host.maps, key)!;
  const verified = new VerifiedWork(
    {
      attemptId: (key) => `${key}#${++mapOf(key).lastAttempt}`,
      startOnVolunteer: (v) => {
        const t = mapOf(v.key);
        t.state = 'placed';
        const a: Attempt = {
          id: v.id,
          nodeId: v.nodeId,
          volunteer: true,
          state: 'fetching',
          startedAt: v.startedAt,
          deadline: v.deadline,
          output: 'head',
        };
        t.attempts.set(a.id, a);
        host.startMap(t, a);
      },
      startOnTrusted: (key, now) => host.placeTrusted(mapOf(key), now),
      accept: (key, bytes, how, now) => {
        counters.invalidResults += how.invalid;
        if (!how.verified) counters.acceptedUnverified++;
        if (how.byTrusted) counters.decidedByTrusted++;
        const t = mapOf(key);
        const { outputs, inputBytes } = host.kept.holdMapOutput(t.index, t.id, bytes, host.partitions, host.operator);
        t.acceptedFrom = how.attempts;
        t.ranOn = [...new Set(how.nodes)];
        t.outputs = outputs;
        host.mapDone(t, inputBytes, t.ranOn, now);
      },
      rescind: (key, now) => {
        counters.rescinded++;
        const t = mapOf(key);
        host.kept.rescind(t.index);
        t.acceptedFrom = [];
        t.outputs = [];
        host.mapRescinded(t, now);
      },
      dropped: (a) => subtaskOf(host.maps, a.key)?.attempts.delete(a.id),
      check: (_key, bytes) => malformedBatch(bytes, host.partitions, host.operator),
      log: (line) => host.log(`job ${host.jobId}: ${line}`),
    },
    pool,
  );
  return { verified, counters };
}
