/**
 * What a driver connection may ask of the head, and on what terms: its messages go to the task
 * service, the job registry and the object relay once the head has checked them — user code
 * against the sandbox's rules, new tasks and puts against the driver's limits, object reads and
 * releases against who owns the object (docs/security.md).
 */
import type { Connection } from '../platform/platform.js';
import type { Message, MessageOf } from '../protocol/messages.js';
import { sendMessage } from '../protocol/codec.js';
import { WrtError, type FailureRecord } from '../errors.js';
import type { Principal } from '../protocol/credentials.js';
import { checkSandbox } from '../sandbox/wasm-binary.js';
import type { TaskService } from '../scheduler/task-service.js';
import type { ObjectRelay } from './object-relay.js';
import type { JobRegistry } from './job-registry.js';

export interface DriverLimits {
  /** Tasks one driver connection may have queued or running; more fail with `WRT_OVER_LIMIT`. @default 100000 */
  maxTasksPerDriver?: number;
  /** Objects (task results and puts) one driver connection may hold in the directory. @default 1000000 */
  maxObjectsPerDriver?: number;
}

export interface DriverRequestsHost {
  tasks: TaskService;
  jobs: JobRegistry;
  relay: ObjectRelay;
  /** Who driver connection `driverId` authenticated as (undefined once it has gone). */
  principalOf(driverId: string): Principal | undefined;
}

export class DriverRequests {
  constructor(
    private readonly host: DriverRequestsHost,
    private readonly limits: DriverLimits,
  ) {}

  /**
   * Handles one message of driver `driver`.
   * @throws WrtError `WRT_SANDBOX` (module breaks the sandbox's rules), `WRT_FORBIDDEN` (another
   *   driver's object), `WRT_PROTOCOL` (a message a driver may not send), or what the handler throws.
   */
  handle(driver: string, principal: Principal, conn: Connection, msg: Message): void {
    const { tasks, jobs, relay } = this.host;
    // User code is refused before any node sees it when it breaks the sandbox's rules.
    if (msg.type === 'SubmitJob' || msg.type === 'RegisterModule') checkSandbox(msg.module);
    if (msg.type === 'SubmitTask' || msg.type === 'PutObject') {
      const failure = this.overLimits(driver, msg);
      if (failure) {
        const objectId = msg.type === 'SubmitTask' ? msg.returnId : msg.objectId;
        sendMessage(conn, { type: 'ObjectReady', objectId, nodeId: '', sizeBytes: 0, data: new Uint8Array(0), inline: false, failure });
        return;
      }
    }
    switch (msg.type) {
      case 'SubmitJob':
        return jobs.submit(conn, msg, principal);
      case 'RegisterModule':
        return tasks.registerModule(msg);
      case 'SubmitTask':
        return tasks.submitTask(driver, msg);
      case 'CreateActor':
        return tasks.createActor(driver, msg);
      case 'ActorCall':
        return tasks.actorCall(driver, msg);
      case 'LookupActor':
        return tasks.lookupActor(driver, msg);
      case 'PutObject':
        return tasks.put(driver, msg);
      case 'ReleaseObjects':
        return tasks.release(msg.objectIds.filter((id) => this.mayTouchObject(driver, principal, id)));
      case 'CancelTask':
        return tasks.cancel(driver, msg);
      case 'ObjectPull':
        if (!this.mayTouchObject(driver, principal, msg.objectId)) {
          throw new WrtError('WRT_FORBIDDEN', `object ${msg.objectId} belongs to another driver`);
        }
        return relay.routePull(driver, msg);
      case 'ObjectChunk':
        // The driver serving one of its held puts to a node that pulls it (ADR 0010).
        relay.relayChunk(driver, msg);
        return;
      case 'InputChunk':
        return jobs.inputChunk(conn, msg);
      case 'JobControl':
        return jobs.control(conn, msg, principal);
      default:
        throw new WrtError('WRT_PROTOCOL', `a client may not send ${msg.type}`);
    }
  }

  /** True when driver `driverId` (authenticated as `p`) may read or release object `objectId`: its owner's subject, or an admin. */
  private mayTouchObject(driverId: string, p: Principal, objectId: string): boolean {
    const e = this.host.tasks.objects.get(objectId);
    if (!e || p.admin || e.owner === driverId) return true;
    return this.host.principalOf(e.owner)?.subject === p.subject;
  }

  /**
   * The failure of a driver's new task or put, or null when it may go ahead: its object id must be
   * new (another driver's would be taken over), and the driver under its limits.
   */
  private overLimits(driver: string, m: MessageOf<'SubmitTask' | 'PutObject'>): FailureRecord | null {
    const { tasks } = this.host;
    const id = m.type === 'SubmitTask' ? m.returnId : m.objectId;
    if (tasks.objects.get(id)) return { code: 'WRT_INVALID_ARGUMENT', message: `object id ${id} is already in use`, retryable: false };
    const maxObjects = this.limits.maxObjectsPerDriver ?? 1_000_000;
    if (tasks.objects.countOwnedBy(driver) >= maxObjects) {
      return { code: 'WRT_OVER_LIMIT', message: `a driver may hold ${maxObjects} objects at once; release some first`, retryable: false };
    }
    const maxTasks = this.limits.maxTasksPerDriver ?? 100_000;
    if (m.type === 'SubmitTask' && tasks.unfinishedTasksOf(driver) >= maxTasks) {
      return {
        code: 'WRT_OVER_LIMIT',
        message: `a driver may have ${maxTasks} tasks queued or running; wait for some first`,
        retryable: true,
      };
    }
    return null;
  }
}
