/**
 * What the SDK's handles (remote functions, actor classes and handles, GPU kernels and tasks) need
 * of the driver's {@link Runtime} (sdk/runtime.ts): an interface of its own, so that the handles
 * do not import the runtime that creates them (no import cycle), and the {@link ActorHandle} class.
 */
import type { ArgValue } from './encoding.js';
import type { ObjectRef } from './object-ref.js';
import type { RemoteOptions } from './options.js';

/** The calls handles make on the driver's runtime. */
export interface Submitter {
  /** Submits one task: export `functionName` of module `moduleId`; returns its result's ref at once. */
  submitTask(moduleId: string, functionName: string, args: (ArgValue | ObjectRef)[], options: RemoteOptions): ObjectRef;
  /** Creates an actor; resolves once the head has placed it. */
  createActor(moduleId: string, initFunction: string, args: (ArgValue | ObjectRef)[], options: RemoteOptions): Promise<ActorHandle>;
  /** Calls `method` on the actor of `handle`, in submission order. */
  actorCall(handle: ActorHandle, method: string, args: (ArgValue | ObjectRef)[]): ObjectRef;
  /** Resolves once the actor's constructor has run. */
  actorReady(actorId: string): Promise<void>;
}

/** An actor handle: calls run on the actor's instance, in the order they were made. */
export class ActorHandle {
  /** @internal */
  constructor(
    private readonly rt: Submitter,
    readonly actorId: string,
    readonly moduleId: string,
  ) {}

  /** Calls `method` (an export of the actor's module); returns the ref of its result at once. */
  call(method: string, ...args: (ArgValue | ObjectRef)[]): ObjectRef {
    return this.rt.actorCall(this, method, args);
  }

  /** Resolves once the actor's constructor has run. @throws TaskError `WRT_ACTOR_DIED` if it failed. */
  ready(): Promise<void> {
    return this.rt.actorReady(this.actorId);
  }
}
