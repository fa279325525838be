// The head's actor bookkeeping, driven message by message in the orders the network allows.
import test from 'ava';
import assert from 'node:assert/strict';
import { TaskService, type TaskNode } from '../../../runtime/scheduler/task-service.js';
import { ResourceLedger } from '../../../runtime/scheduler/resource-ledger.js';
import type { Message, MessageOf, TaskOptions } from '../../../runtime/protocol/messages.js';
import type { ErrorCode } from '../../../runtime/errors.js';

const OPTIONS: TaskOptions = {
  cpus: 0,
  gpus: 0,
  memoryBytes: 0,
  resources: {},
  maxRetries: -1,
  retryExceptions: false,
  maxRestarts: 1,
  deadlineMs: 0,
};

function harness(total: TaskNode['total'] = { cpus: 2 }) {
  const toNode: MessageOf<'DeployTask'>[] = [];
  const toDriver: Message[] = [];
  const node: TaskNode = { id: 'n1', alive: true, total, storeUsedBytes: 0 };
  const ledger = new ResourceLedger();
  ledger.addNode(node.id, node.total);
  const service = new TaskService({
    nodes: () => [node],
    ledger,
    sendToNode: (_id, m) => {
      if (m.type === 'DeployTask') toNode.push(m);
    },
    sendToDriver: (_id, m) => toDriver.push(m),
    needsModule: () => false,
    log: () => undefined,
  });
  service.registerModule({ type: 'RegisterModule', moduleId: 'm', module: new Uint8Array(8) });
  const status = (taskId: string, returnId: string, failure: ErrorCode | null): MessageOf<'TaskStatus'> => ({
    type: 'TaskStatus',
    jobId: '',
    taskId,
    state: failure ? 'Failed' : 'Finished',
    outputs: [],
    data: failure ? null : new Uint8Array([1]),
    failure: failure ? { code: failure, message: 'x', retryable: false } : null,
    inputBytes: 0,
    returnId,
    returnBytes: failure ? 0 : 1,
    returnInline: true,
  });
  const call = (returnId: string): void =>
    service.actorCall('d', { type: 'ActorCall', actorId: 'A', method: 'increment', args: [], returnId });
  const failures = () =>
    toDriver
      .filter((m): m is MessageOf<'ObjectReady'> => m.type === 'ObjectReady' && m.failure !== null)
      .map((m) => [m.objectId, m.failure!.code]);
  /** Creates actor A and reports its constructor finished: it is Alive. */
  const createAliveActor = (): void => {
    service.createActor('d', {
      type: 'CreateActor',
      actorId: 'A',
      moduleId: 'm',
      initFunction: 'init',
      args: [],
      options: OPTIONS,
      name: '',
    });
    service.taskStatus('n1', status(toNode[0]!.taskId, '', null));
  };
  return { service, toNode, toDriver, status, call, failures, createAliveActor };
}

test.serial('calls sent after a trapping call wait for the restart instead of going to the dead instance', () => {
  const { service, toNode, status, call, failures, createAliveActor } = harness();
  createAliveActor();
  assert.equal(toNode.length, 1, 'one constructor deployment');

  call('r1');
  assert.equal(toNode.at(-1)!.returnId, 'r1');
  // The node reports the trap, then (in a later message) that the actor died. The driver sees the
  // trap and sends its next call, which reaches the head between the two.
  service.taskStatus('n1', status(toNode.at(-1)!.taskId, 'r1', 'WRT_OPERATOR_TRAP'));
  call('r2');
  assert.equal(toNode.at(-1)!.returnId, 'r1', 'r2 must not be sent to the instance that trapped');
  service.actorDied('n1', { type: 'ActorState', actorId: 'A', state: 'Dead', nodeId: 'n1', message: 'trap', restarts: 0 });

  // Restarted: the constructor runs again, then r2 goes to the new instance.
  const ctor = toNode.at(-1)!;
  assert.equal(ctor.kind, 'ActorCreate');
  service.taskStatus('n1', status(ctor.taskId, '', null));
  assert.equal(toNode.at(-1)!.returnId, 'r2');
  service.taskStatus('n1', status(toNode.at(-1)!.taskId, 'r2', null));
  assert.deepEqual(failures(), [['r1', 'WRT_OPERATOR_TRAP']]);
});

test.serial('a user error (not actor-ending) keeps the actor serving calls at once', () => {
  const { service, toNode, status, call, failures, createAliveActor } = harness();
  createAliveActor();
  call('r1');
  service.taskStatus('n1', status(toNode.at(-1)!.taskId, 'r1', 'WRT_OPERATOR_ERROR'));
  call('r2');
  assert.equal(toNode.at(-1)!.returnId, 'r2');
  assert.deepEqual(failures(), [['r1', 'WRT_OPERATOR_ERROR']]);
});

test.serial('a death reported before the trap status does not hold the restarted instance', () => {
  const { service, toNode, status, call, failures, createAliveActor } = harness();
  createAliveActor();
  call('r1');
  const r1 = toNode.at(-1)!;
  service.actorDied('n1', { type: 'ActorState', actorId: 'A', state: 'Dead', nodeId: 'n1', message: 'slot died', restarts: 0 });
  service.taskStatus('n1', status(r1.taskId, 'r1', 'WRT_SLOT_DIED'));
  service.taskStatus('n1', status(toNode.at(-1)!.taskId, '', null));
  call('r2');
  assert.equal(toNode.at(-1)!.returnId, 'r2');
  assert.deepEqual(failures(), [['r1', 'WRT_ACTOR_DIED']]);
});

test.serial('actors waiting for room are placed in creation order as room appears, and only then', () => {
  const { service, toNode, toDriver, status } = harness({ cpus: 2, actor: 2 });
  const create = (actorId: string, resources: Record<string, number>): void =>
    service.createActor('d', {
      type: 'CreateActor',
      actorId,
      moduleId: 'm',
      initFunction: 'init',
      args: [],
      options: { ...OPTIONS, maxRestarts: 0, resources },
      name: '',
    });
  for (const id of ['A1', 'A2', 'A3', 'A4', 'A5']) create(id, { actor: 1 });
  create('B1', { cpus: 1 }); // another scheduling class: not held up by the waiting ones
  const placed = (): string[] => toNode.filter((m) => m.kind === 'ActorCreate').map((m) => m.actorId);
  assert.deepEqual(placed(), ['A1', 'A2', 'B1']);
  assert.deepEqual(
    [...service.actors.list({ state: 'Pending' })].filter((a) => !a.nodeId).map((a) => a.actorId),
    ['A3', 'A4', 'A5'],
  );

  // Tasks ending free no "actor" room: nothing moves.
  service.taskStatus('n1', status(toNode[0]!.taskId, '', null));
  assert.deepEqual(placed(), ['A1', 'A2', 'B1']);

  // A1 dies (no restarts): its room goes to the oldest waiting actor.
  service.actorDied('n1', { type: 'ActorState', actorId: 'A1', state: 'Dead', nodeId: 'n1', message: 'trap', restarts: 0 });
  assert.deepEqual(placed(), ['A1', 'A2', 'B1', 'A3']);
  // The driver leaves: its actors are killed, none is placed again.
  service.driverGone('d');
  assert.deepEqual(placed(), ['A1', 'A2', 'B1', 'A3']);
  assert.equal([...service.actors.list()].length, 0);
  assert.ok(toDriver.some((m) => m.type === 'ActorState' && m.actorId === 'A1' && m.state === 'Dead'));
});
