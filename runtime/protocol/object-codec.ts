/**
 * Encoding and guarded decoding of the objects: ObjectPull, ObjectChunk, ReleaseObjects, PutObject, ObjectReady
 * (runtime/protocol/wire.fbs). codec.ts wraps each in an Envelope and tries every family in turn;
 * decoding reads through the guarded {@link WireReader}, so a malformed table is a `WRT_PROTOCOL` error.
 */
import type * as flatbuffers from 'flatbuffers';
import type { Message } from './messages.js';
import { encodeFailure, vectorOf, type B, type WireReader } from './wire-tables.js';
import { Message as Kind } from './generated/wrt/protocol/message.js';
import type { Envelope } from './generated/wrt/protocol/envelope.js';
import { ObjectPull } from './generated/wrt/protocol/object-pull.js';
import { ObjectChunk } from './generated/wrt/protocol/object-chunk.js';
import { ReleaseObjects } from './generated/wrt/protocol/release-objects.js';
import { PutObject } from './generated/wrt/protocol/put-object.js';
import { ObjectReady } from './generated/wrt/protocol/object-ready.js';

/** The body of `m` when it is one of this family's messages, else null. */
export function encodeObjectBody(b: B, m: Message): [Kind, flatbuffers.Offset] | null {
  switch (m.type) {
    case 'ObjectPull': {
      const id = b.createString(m.objectId);
      const node = b.createString(m.nodeId);
      const requester = b.createString(m.requester);
      return [Kind.ObjectPull, ObjectPull.createObjectPull(b, m.requestId, id, node, requester, BigInt(m.offset), BigInt(m.length))];
    }
    case 'ObjectChunk': {
      const id = b.createString(m.objectId);
      const requester = b.createString(m.requester);
      const data = b.createByteVector(m.data);
      const failure = m.failure ? encodeFailure(b, m.failure) : 0;
      ObjectChunk.startObjectChunk(b);
      ObjectChunk.addRequestId(b, m.requestId);
      ObjectChunk.addObjectId(b, id);
      ObjectChunk.addRequester(b, requester);
      ObjectChunk.addOffset(b, BigInt(m.offset));
      ObjectChunk.addTotalBytes(b, BigInt(m.totalBytes));
      ObjectChunk.addData(b, data);
      if (failure) ObjectChunk.addFailure(b, failure);
      return [Kind.ObjectChunk, ObjectChunk.endObjectChunk(b)];
    }
    case 'ReleaseObjects':
      return [
        Kind.ReleaseObjects,
        ReleaseObjects.createReleaseObjects(
          b,
          vectorOf(
            b,
            m.objectIds.map((id) => b.createString(id)),
          ),
        ),
      ];
    case 'PutObject':
      return [
        Kind.PutObject,
        PutObject.createPutObject(
          b,
          b.createString(m.objectId),
          b.createByteVector(m.data),
          BigInt(m.totalBytes),
          b.createString(m.source),
        ),
      ];
    case 'ObjectReady': {
      const ids = [m.objectId, m.nodeId].map((x) => b.createString(x));
      const data = m.data ? b.createByteVector(m.data) : 0;
      const failure = m.failure ? encodeFailure(b, m.failure) : 0;
      ObjectReady.startObjectReady(b);
      ObjectReady.addObjectId(b, ids[0]!);
      ObjectReady.addNodeId(b, ids[1]!);
      ObjectReady.addSizeBytes(b, BigInt(m.sizeBytes));
      if (data) ObjectReady.addData(b, data);
      ObjectReady.addInline(b, m.inline);
      if (failure) ObjectReady.addFailure(b, failure);
      return [Kind.ObjectReady, ObjectReady.endObjectReady(b)];
    }
    default:
      return null;
  }
}

/** The message in `env` when it is one of this family's, else null. */
export function decodeObjectBody(r: WireReader, env: Envelope): Message | null {
  switch (env.messageType()) {
    case Kind.ObjectPull: {
      const t = env.message(new ObjectPull()) as ObjectPull;
      return {
        type: 'ObjectPull',
        requestId: t.requestId(),
        objectId: r.str(t.objectId()),
        nodeId: r.str(t.nodeId()),
        requester: r.str(t.requester()),
        offset: r.num(t.offset()),
        length: r.num(t.length()),
      };
    }
    case Kind.ObjectChunk: {
      const t = env.message(new ObjectChunk()) as ObjectChunk;
      return {
        type: 'ObjectChunk',
        requestId: t.requestId(),
        objectId: r.str(t.objectId()),
        requester: r.str(t.requester()),
        offset: r.num(t.offset()),
        totalBytes: r.num(t.totalBytes()),
        data: r.bytes(t.dataArray()),
        failure: r.failure(t.failure()),
      };
    }
    case Kind.ReleaseObjects: {
      const t = env.message(new ReleaseObjects()) as ReleaseObjects;
      return { type: 'ReleaseObjects', objectIds: r.list(t.objectIdsLength(), (i) => t.objectIds(i)) };
    }
    case Kind.PutObject: {
      const t = env.message(new PutObject()) as PutObject;
      return {
        type: 'PutObject',
        objectId: r.str(t.objectId()),
        data: r.bytes(t.dataArray()),
        totalBytes: Number(t.totalBytes()),
        source: r.str(t.source()),
      };
    }
    case Kind.ObjectReady: {
      const t = env.message(new ObjectReady()) as ObjectReady;
      return {
        type: 'ObjectReady',
        objectId: r.str(t.objectId()),
        nodeId: r.str(t.nodeId()),
        sizeBytes: r.num(t.sizeBytes()),
        data: t.inline() ? r.bytes(t.dataArray()) : null,
        inline: t.inline(),
        failure: r.failure(t.failure()),
      };
    }
    default:
      return null;
  }
}
