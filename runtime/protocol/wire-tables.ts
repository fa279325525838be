/**
 * Shared pieces of the wire codecs (codec.ts and the per-family *-codec.ts): encoders of the tables
 * several messages share (Failure with its causes, ObjectLocation, Resource, TaskArg, TaskOptions),
 * the enum names, and {@link WireReader}, the guarded reader every decoder reads through: a string,
 * vector or byte vector outside the frame, an integer past 2^53 or an unknown enum value throws
 * `FrameBoundsError`, which decodeMessage turns into `WRT_PROTOCOL`.
 */
import type * as flatbuffers from 'flatbuffers';
import { MAX_CAUSE_DEPTH, checkedCode, type FailureRecord } from '../errors.js';
import { FrameBoundsError, type CheckedByteBuffer } from './checked-byte-buffer.js';
import type { ObjectLocation as Location, ResourceMap, TaskArg, TaskOptions } from './messages.js';
import { Failure } from './generated/wrt/protocol/failure.js';
import { KeyValue } from './generated/wrt/protocol/key-value.js';
import { ObjectLocation } from './generated/wrt/protocol/object-location.js';
import { Resource } from './generated/wrt/protocol/resource.js';
import { TaskArg as TaskArgTable } from './generated/wrt/protocol/task-arg.js';
import { TaskOptions as TaskOptionsTable } from './generated/wrt/protocol/task-options.js';

export const JOB_STATES = ['Running', 'Finished', 'Failed', 'Cancelled', 'Stopped'] as const;
export const TASK_STATES = ['Running', 'Finished', 'Failed'] as const;
export const DEPLOY_KINDS = ['Operator', 'Task', 'ActorCreate', 'ActorCall', 'ActorKill'] as const;
export const ACTOR_STATES = ['Pending', 'Alive', 'Restarting', 'Dead'] as const;

export type B = flatbuffers.Builder;

export function encodeFailure(b: B, f: FailureRecord, depth = 0): flatbuffers.Offset {
  const cause = f.cause && depth < MAX_CAUSE_DEPTH ? encodeFailure(b, f.cause, depth + 1) : 0;
  const code = b.createString(f.code);
  const message = b.createString(f.message);
  Failure.startFailure(b);
  Failure.addCode(b, code);
  Failure.addMessage(b, message);
  Failure.addRetryable(b, f.retryable);
  if (cause) Failure.addCause(b, cause);
  return Failure.endFailure(b);
}

export function encodeLocations(b: B, locations: Location[]): flatbuffers.Offset {
  const offsets = locations.map((l) => {
    const id = b.createString(l.objectId);
    const node = b.createString(l.nodeId);
    ObjectLocation.startObjectLocation(b);
    ObjectLocation.addObjectId(b, id);
    ObjectLocation.addNodeId(b, node);
    ObjectLocation.addSizeBytes(b, BigInt(l.sizeBytes));
    return ObjectLocation.endObjectLocation(b);
  });
  return vectorOf(b, offsets);
}

export function encodeResources(b: B, r: ResourceMap): flatbuffers.Offset {
  return vectorOf(
    b,
    Object.entries(r).map(([name, amount]) => Resource.createResource(b, b.createString(name), amount)),
  );
}

export function encodeArgs(b: B, args: TaskArg[]): flatbuffers.Offset {
  return vectorOf(
    b,
    args.map((a) => {
      const data = a.data ? b.createByteVector(a.data) : 0;
      const id = b.createString(a.objectId);
      TaskArgTable.startTaskArg(b);
      if (data) TaskArgTable.addData(b, data);
      TaskArgTable.addObjectId(b, id);
      return TaskArgTable.endTaskArg(b);
    }),
  );
}

export function encodeOptions(b: B, o: TaskOptions): flatbuffers.Offset {
  const resources = encodeResources(b, o.resources);
  TaskOptionsTable.startTaskOptions(b);
  TaskOptionsTable.addCpus(b, o.cpus);
  TaskOptionsTable.addGpus(b, o.gpus);
  TaskOptionsTable.addMemoryBytes(b, BigInt(o.memoryBytes));
  TaskOptionsTable.addResources(b, resources);
  TaskOptionsTable.addMaxRetries(b, o.maxRetries);
  TaskOptionsTable.addRetryExceptions(b, o.retryExceptions);
  TaskOptionsTable.addMaxRestarts(b, o.maxRestarts);
  TaskOptionsTable.addDeadlineMs(b, o.deadlineMs);
  TaskOptionsTable.addVolunteers(b, o.volunteers ?? false);
  return TaskOptionsTable.endTaskOptions(b);
}

export function vectorOf(b: B, offsets: flatbuffers.Offset[]): flatbuffers.Offset {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

/** Reads a frame's tables with every access checked against the frame (see the module comment). */
export class WireReader {
  constructor(
    readonly bb: CheckedByteBuffer,
    readonly frame: Uint8Array,
  ) {}
  str(s: string | null): string {
    return s ?? '';
  }
  num(v: bigint): number {
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameBoundsError(`integer ${v} is too large`);
    return Number(v);
  }
  /** Checks that a byte vector view lies inside the frame. */
  bytes(a: Uint8Array | null): Uint8Array {
    if (a === null) return new Uint8Array(0);
    const start = this.frame.byteOffset;
    if (a.buffer !== this.frame.buffer || a.byteOffset < start || a.byteOffset + a.byteLength > start + this.frame.byteLength) {
      throw new FrameBoundsError('byte vector outside the frame');
    }
    return a;
  }
  /** A failure with its causes (at most MAX_CAUSE_DEPTH); a code this build does not know becomes WRT_JOB_FAILED, named in the message. */
  failure(f: Failure | null, depth = 0): FailureRecord | null {
    if (!f) return null;
    const raw = this.str(f.code());
    const code = checkedCode(raw);
    const message = code === raw ? this.str(f.message()) : `${raw}: ${this.str(f.message())}`;
    const out: FailureRecord = { code, message, retryable: f.retryable() };
    const cause = depth < MAX_CAUSE_DEPTH ? this.failure(f.cause(), depth + 1) : null;
    if (cause) out.cause = cause;
    return out;
  }
  list<T>(n: number, at: (i: number) => T | null): T[] {
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      const v = at(i);
      if (v === null) throw new FrameBoundsError(`vector element ${i} missing`);
      out.push(v);
    }
    return out;
  }
  resources(n: number, at: (i: number) => Resource | null): ResourceMap {
    const out: ResourceMap = {};
    for (const r of this.list(n, at)) out[this.str(r.name())] = r.amount();
    return out;
  }
  args(n: number, at: (i: number) => TaskArgTable | null): TaskArg[] {
    return this.list(n, at).map((a) => ({ data: a.dataLength() > 0 ? this.bytes(a.dataArray()) : null, objectId: this.str(a.objectId()) }));
  }
  options(o: TaskOptionsTable | null): TaskOptions {
    if (!o)
      return {
        cpus: 0,
        gpus: 0,
        memoryBytes: 0,
        resources: {},
        maxRetries: -1,
        retryExceptions: false,
        maxRestarts: -1,
        deadlineMs: 0,
        volunteers: false,
      };
    return {
      cpus: o.cpus(),
      gpus: o.gpus(),
      memoryBytes: this.num(o.memoryBytes()),
      resources: this.resources(o.resourcesLength(), (i) => o.resources(i)),
      maxRetries: o.maxRetries(),
      retryExceptions: o.retryExceptions(),
      maxRestarts: o.maxRestarts(),
      deadlineMs: o.deadlineMs(),
      volunteers: o.volunteers(),
    };
  }
  locations(n: number, at: (i: number) => ObjectLocation | null): Location[] {
    return this.list(n, at).map((l) => ({
      objectId: this.str(l.objectId()),
      nodeId: this.str(l.nodeId()),
      sizeBytes: this.num(l.sizeBytes()),
    }));
  }
}

export function enumName<T extends string>(names: readonly T[], v: number, what: string): T {
  const name = names[v];
  if (name === undefined) throw new FrameBoundsError(`unknown ${what} ${v}`);
  return name;
}

/** Encodes an argument map as a vector of KeyValue tables. */
export function encodeKeyValues(b: B, map: Record<string, string>): flatbuffers.Offset {
  const items = Object.entries(map).map(([k, v]) => KeyValue.createKeyValue(b, b.createString(k), b.createString(v)));
  b.startVector(4, items.length, 4);
  for (let i = items.length - 1; i >= 0; i--) b.addOffset(items[i]!);
  return b.endVector();
}

/** Decodes a vector of KeyValue tables into a map (a later duplicate key wins). */
export function decodeKeyValues(r: WireReader, n: number, at: (i: number) => KeyValue | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of r.list(n, at)) out[r.str(kv.key())] = r.str(kv.value());
  return out;
}
