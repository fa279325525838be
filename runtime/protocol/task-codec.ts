/**
 * Encoding and guarded decoding of the tasks and actors: RegisterModule, SubmitTask, CreateActor, ActorCall, ActorState,
 * ActorRoute, LookupActor, ActorInfo, CancelTask
 * (runtime/protocol/wire.fbs). codec.ts wraps each in an Envelope and tries every family in turn;
 * decoding reads through the guarded {@link WireReader}, so a malformed table is a `WRT_PROTOCOL` error.
 */
import type * as flatbuffers from 'flatbuffers';
import type { Message } from './messages.js';
import { encodeArgs, encodeOptions, enumName, ACTOR_STATES, type B, type WireReader } from './wire-tables.js';
import { Message as Kind } from './generated/wrt/protocol/message.js';
import type { Envelope } from './generated/wrt/protocol/envelope.js';
import { RegisterModule } from './generated/wrt/protocol/register-module.js';
import { SubmitTask } from './generated/wrt/protocol/submit-task.js';
import { CreateActor } from './generated/wrt/protocol/create-actor.js';
import { ActorCall } from './generated/wrt/protocol/actor-call.js';
import { ActorState } from './generated/wrt/protocol/actor-state.js';
import { LookupActor } from './generated/wrt/protocol/lookup-actor.js';
import { ActorInfo } from './generated/wrt/protocol/actor-info.js';
import { CancelTask } from './generated/wrt/protocol/cancel-task.js';
import { ActorRoute } from './generated/wrt/protocol/actor-route.js';

/** The body of `m` when it is one of this family's messages, else null. */
export function encodeTaskBody(b: B, m: Message): [Kind, flatbuffers.Offset] | null {
  switch (m.type) {
    case 'RegisterModule':
      return [Kind.RegisterModule, RegisterModule.createRegisterModule(b, b.createString(m.moduleId), b.createByteVector(m.module))];
    case 'SubmitTask': {
      const ids = [m.taskId, m.moduleId, m.functionName].map((x) => b.createString(x));
      const args = encodeArgs(b, m.args);
      const options = encodeOptions(b, m.options);
      const returnId = b.createString(m.returnId);
      SubmitTask.startSubmitTask(b);
      SubmitTask.addTaskId(b, ids[0]!);
      SubmitTask.addModuleId(b, ids[1]!);
      SubmitTask.addFunctionName(b, ids[2]!);
      SubmitTask.addArgs(b, args);
      SubmitTask.addOptions(b, options);
      SubmitTask.addReturnId(b, returnId);
      return [Kind.SubmitTask, SubmitTask.endSubmitTask(b)];
    }
    case 'CreateActor': {
      const ids = [m.actorId, m.moduleId, m.initFunction].map((x) => b.createString(x));
      const args = encodeArgs(b, m.args);
      const options = encodeOptions(b, m.options);
      const name = b.createString(m.name);
      CreateActor.startCreateActor(b);
      CreateActor.addActorId(b, ids[0]!);
      CreateActor.addModuleId(b, ids[1]!);
      CreateActor.addInitFunction(b, ids[2]!);
      CreateActor.addArgs(b, args);
      CreateActor.addOptions(b, options);
      CreateActor.addName(b, name);
      return [Kind.CreateActor, CreateActor.endCreateActor(b)];
    }
    case 'ActorCall': {
      const ids = [m.actorId, m.method].map((x) => b.createString(x));
      const args = encodeArgs(b, m.args);
      return [Kind.ActorCall, ActorCall.createActorCall(b, ids[0]!, ids[1]!, args, b.createString(m.returnId))];
    }
    case 'ActorState': {
      const ids = [m.actorId, m.nodeId, m.message].map((x) => b.createString(x));
      return [Kind.ActorState, ActorState.createActorState(b, ids[0]!, ACTOR_STATES.indexOf(m.state), ids[1]!, ids[2]!, m.restarts)];
    }
    case 'ActorRoute': {
      const ids = [m.actorId, m.nodeId, m.address].map((x) => b.createString(x));
      const ticket = b.createByteVector(m.ticket);
      return [Kind.ActorRoute, ActorRoute.createActorRoute(b, ids[0]!, ids[1]!, ids[2]!, m.expiresMs, ticket)];
    }
    case 'LookupActor':
      return [Kind.LookupActor, LookupActor.createLookupActor(b, m.requestId, b.createString(m.name))];
    case 'ActorInfo': {
      const ids = [m.actorId, m.moduleId].map((x) => b.createString(x));
      return [Kind.ActorInfo, ActorInfo.createActorInfo(b, m.requestId, ids[0]!, ids[1]!, ACTOR_STATES.indexOf(m.state))];
    }
    case 'CancelTask':
      return [Kind.CancelTask, CancelTask.createCancelTask(b, b.createString(m.objectId), m.force)];
    default:
      return null;
  }
}

/** The message in `env` when it is one of this family's, else null. */
export function decodeTaskBody(r: WireReader, env: Envelope): Message | null {
  switch (env.messageType()) {
    case Kind.RegisterModule: {
      const t = env.message(new RegisterModule()) as RegisterModule;
      return { type: 'RegisterModule', moduleId: r.str(t.moduleId()), module: r.bytes(t.moduleArray()) };
    }
    case Kind.SubmitTask: {
      const t = env.message(new SubmitTask()) as SubmitTask;
      return {
        type: 'SubmitTask',
        taskId: r.str(t.taskId()),
        moduleId: r.str(t.moduleId()),
        functionName: r.str(t.functionName()),
        args: r.args(t.argsLength(), (i) => t.args(i)),
        options: r.options(t.options()),
        returnId: r.str(t.returnId()),
      };
    }
    case Kind.CreateActor: {
      const t = env.message(new CreateActor()) as CreateActor;
      return {
        type: 'CreateActor',
        actorId: r.str(t.actorId()),
        moduleId: r.str(t.moduleId()),
        initFunction: r.str(t.initFunction()),
        args: r.args(t.argsLength(), (i) => t.args(i)),
        options: r.options(t.options()),
        name: r.str(t.name()),
      };
    }
    case Kind.ActorCall: {
      const t = env.message(new ActorCall()) as ActorCall;
      return {
        type: 'ActorCall',
        actorId: r.str(t.actorId()),
        method: r.str(t.method()),
        args: r.args(t.argsLength(), (i) => t.args(i)),
        returnId: r.str(t.returnId()),
      };
    }
    case Kind.ActorState: {
      const t = env.message(new ActorState()) as ActorState;
      return {
        type: 'ActorState',
        actorId: r.str(t.actorId()),
        state: enumName(ACTOR_STATES, t.state(), 'actor state'),
        nodeId: r.str(t.nodeId()),
        message: r.str(t.message()),
        restarts: t.restarts(),
      };
    }
    case Kind.ActorRoute: {
      const t = env.message(new ActorRoute()) as ActorRoute;
      return {
        type: 'ActorRoute',
        actorId: r.str(t.actorId()),
        nodeId: r.str(t.nodeId()),
        address: r.str(t.address()),
        expiresMs: t.expiresMs(),
        ticket: r.bytes(t.ticketArray()),
      };
    }
    case Kind.LookupActor: {
      const t = env.message(new LookupActor()) as LookupActor;
      return { type: 'LookupActor', requestId: t.requestId(), name: r.str(t.name()) };
    }
    case Kind.ActorInfo: {
      const t = env.message(new ActorInfo()) as ActorInfo;
      return {
        type: 'ActorInfo',
        requestId: t.requestId(),
        actorId: r.str(t.actorId()),
        moduleId: r.str(t.moduleId()),
        state: enumName(ACTOR_STATES, t.state(), 'actor state'),
      };
    }
    case Kind.CancelTask: {
      const t = env.message(new CancelTask()) as CancelTask;
      return { type: 'CancelTask', objectId: r.str(t.objectId()), force: t.force() };
    }
    default:
      return null;
  }
}
