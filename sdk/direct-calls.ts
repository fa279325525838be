/**
 * A driver's actor calls, sent through the head or straight to the actor's node (ADR 0009,
 * docs/adr/0009-direct-actor-calls.md), in the order they were made.
 *
 * When an actor this driver owns is Alive on a node that takes direct calls, the head sends its
 * route (`ActorRoute`: the node's ws:// address and a ticket). The driver opens one connection per
 * node, presents the route, and from then on sends that actor's calls whose arguments are all
 * inline values there; their results come back inline and stay with the driver (their refs are
 * "local": the head learns of one only when it is passed on, driver-objects.ts). Calls with an
 * ObjectRef argument go through the head. Order: a call goes out only when every earlier call of
 * that actor sent the other way has been answered, and each path runs calls in order, so calls
 * run in the order they were made. A call waiting for a local argument (an earlier direct
 * result) waits in that line too; it fails at once, without running, if that argument failed.
 *
 * Failure: when a direct connection closes, its pending calls fail with `WRT_ACTOR_DIED` (calls
 * are at most once, as through the head when a node is lost), and the actor's later calls go
 * through the head until the head sends a new route (after a restart). Times are milliseconds.
 */
import type { Connection } from '../runtime/platform/platform.js';
import type { Message, MessageOf, TaskArg } from '../runtime/protocol/messages.js';
import { ACTOR_ENDING_CODES, type FailureRecord } from '../runtime/errors.js';
import { onFrames, sendMessage } from '../runtime/protocol/codec.js';
import { snapshotArgs } from './encoding.js';

/** What the calls need of their runtime. */
export interface DirectCallsHost {
  /** Opens an unauthenticated WebSocket to a node's direct address. */
  connect(url: string): Promise<Connection>;
  /**
   * The wire form of call `returnId`'s arguments (passing local refs on puts them first), or null
   * when the call failed instead (an argument failed or was released; its ref is settled).
   */
  wire(returnId: string, args: readonly unknown[]): TaskArg[] | null;
  /** See DriverObjects.localArgs. */
  localArgs(args: readonly unknown[]): Promise<void> | FailureRecord | null;
  /** Settles a local result: its bytes or its failure. */
  settle(returnId: string, data: Uint8Array | null, failure: FailureRecord | null): void;
  /** Sends call `returnId` through the head (which then knows its result). */
  relay(returnId: string, m: Message): void;
  log(line: string): void;
}

/** One call of an actor, not sent yet. */
interface Call {
  actorId: string;
  method: string;
  returnId: string;
  args: unknown[];
  /** Every argument is an inline value (may go directly). */
  inline: boolean;
}

/** One node's direct connection. */
interface Link {
  conn: Connection | null;
  /** Open, and not closed since. */
  open: boolean;
  /** Settles once the connection opened (true) or could not (false). */
  opened: Promise<boolean>;
  /** Direct calls sent and not answered: return id → actor id. */
  pending: Map<string, string>;
}

/** One actor's calls. */
interface Line {
  /** The connection its direct calls use, once the route was presented on it; null: through the head. */
  link: Link | null;
  /** Calls sent through the head and not answered (return ids). */
  relayed: Set<string>;
  /** Calls sent directly and not answered. */
  direct: number;
  /** Calls not sent yet, in order. */
  waiting: Call[];
  /** The first waiting call waits for a local argument. */
  blocked: boolean;
  /**
   * A direct call ended the actor (a trap, a deadline): later calls wait for the head's next
   * ActorState, so they reach the restarted instance, as the head holds them in the same case.
   */
  ending: boolean;
}

export class DirectCalls {
  private readonly lines = new Map<string, Line>();
  /** Connections opening or open, by address. */
  private readonly links = new Map<string, Link>();
  /** Calls through the head not answered yet: return id → actor id. */
  private readonly relayedCalls = new Map<string, string>();

  /** @param enabled false: every call goes through the head (no direct connections are opened). */
  constructor(
    private readonly host: DirectCallsHost,
    readonly enabled: boolean,
  ) {}

  private line(actorId: string): Line {
    let l = this.lines.get(actorId);
    if (!l) this.lines.set(actorId, (l = { link: null, relayed: new Set(), direct: 0, waiting: [], blocked: false, ending: false }));
    return l;
  }

  /** Makes a call; its ref is tracked already, as local (the head knows it once it goes through the head). */
  call(actorId: string, method: string, returnId: string, args: unknown[], inline: boolean): void {
    const l = this.line(actorId);
    const c: Call = { actorId, method, returnId, args, inline };
    l.waiting.push(c);
    this.drain(l);
    // Still waiting: the caller may change its byte arguments before it goes, so it keeps copies.
    if (l.waiting.includes(c)) c.args = snapshotArgs(args);
  }

  /** Sends the waiting calls of `l` that may go now, in order. */
  private drain(l: Line): void {
    while (l.waiting.length > 0 && !l.blocked && !l.ending) {
      const c = l.waiting[0]!;
      const local = this.host.localArgs(c.args);
      if (local instanceof Promise) {
        l.blocked = true;
        void local.then(() => {
          l.blocked = false;
          this.drain(l);
        });
        return;
      }
      const direct = c.inline && l.link?.open === true;
      if (direct ? l.relayed.size > 0 : l.direct > 0) return; // the other path's calls finish first
      l.waiting.shift();
      const args = this.host.wire(c.returnId, c.args);
      if (!args) continue;
      const m: MessageOf<'ActorCall'> = { type: 'ActorCall', actorId: c.actorId, method: c.method, args, returnId: c.returnId };
      if (direct) {
        l.direct++;
        l.link!.pending.set(c.returnId, c.actorId);
        sendMessage(l.link!.conn!, m);
      } else {
        l.relayed.add(c.returnId);
        this.relayedCalls.set(c.returnId, c.actorId);
        this.host.relay(c.returnId, m);
      }
    }
  }

  /** The head answered call `returnId` (an ObjectReady for it). */
  relayedDone(returnId: string): void {
    const actorId = this.relayedCalls.get(returnId);
    if (actorId === undefined) return;
    this.relayedCalls.delete(returnId);
    const l = this.lines.get(actorId);
    if (!l) return;
    l.relayed.delete(returnId);
    if (l.relayed.size === 0) this.drain(l);
  }

  /** The head's word on an actor: a route to use, or a state (not Alive: direct calls stop). */
  fromHead(m: MessageOf<'ActorRoute' | 'ActorState'>): void {
    if (m.type === 'ActorState') {
      const l = this.lines.get(m.actorId);
      if (!l) return;
      if (m.state !== 'Alive') l.link = null;
      l.ending = false;
      if (m.state === 'Dead' && l.direct === 0 && l.relayed.size === 0 && l.waiting.length === 0) this.lines.delete(m.actorId);
      else this.drain(l);
      return;
    }
    if (!this.enabled) return;
    const link = this.linkTo(m.address);
    const present = (): void => {
      if (!link.open) return;
      sendMessage(link.conn!, m);
      const l = this.line(m.actorId);
      l.link = link;
      this.drain(l);
    };
    if (link.open) present();
    else void link.opened.then(present);
  }

  /** The connection to `address`, opened on first use (a closed or failed one is forgotten). */
  private linkTo(address: string): Link {
    const known = this.links.get(address);
    if (known) return known;
    const link: Link = { conn: null, open: false, opened: Promise.resolve(false), pending: new Map() };
    this.links.set(address, link);
    link.opened = this.host.connect(address).then(
      (conn) => {
        link.conn = conn;
        link.open = true;
        onFrames(conn, (msg) => this.fromNode(link, msg));
        conn.onClose = (reason) => this.lost(link, address, reason);
        return true;
      },
      (err: unknown) => {
        if (this.links.get(address) === link) this.links.delete(address);
        this.host.log(`wrt: direct actor calls to ${address} unavailable (${(err as Error).message}); calls go through the head`);
        return false;
      },
    );
    return link;
  }

  private fromNode(link: Link, msg: Message): void {
    if (msg.type === 'ErrorMessage') {
      this.host.log(`wrt: a node refused direct calls: ${msg.failure.code}: ${msg.failure.message}`);
      return;
    }
    if (msg.type !== 'TaskStatus') return;
    const actorId = link.pending.get(msg.returnId);
    if (actorId === undefined) return;
    link.pending.delete(msg.returnId);
    this.host.settle(
      msg.returnId,
      msg.state === 'Finished' ? (msg.data ?? new Uint8Array(0)) : null,
      msg.state === 'Finished' ? null : msg.failure,
    );
    const l = this.lines.get(actorId);
    if (!l) return;
    l.direct--;
    if (msg.failure && ACTOR_ENDING_CODES.has(msg.failure.code)) {
      l.ending = true;
      l.link = null;
    }
    if (l.direct === 0) this.drain(l);
  }

  /** A direct connection closed: its calls fail; its actors' calls go through the head. */
  private lost(link: Link, address: string, reason: string): void {
    link.open = false;
    if (this.links.get(address) === link) this.links.delete(address);
    const touched = new Set<Line>();
    for (const [returnId, actorId] of link.pending) {
      this.host.settle(returnId, null, {
        code: 'WRT_ACTOR_DIED',
        message: `the direct connection to actor ${actorId}'s node closed while the call was in flight: ${reason}`,
        retryable: false,
      });
      const l = this.lines.get(actorId);
      if (l) {
        l.direct--;
        touched.add(l);
      }
    }
    link.pending.clear();
    for (const l of this.lines.values())
      if (l.link === link) {
        l.link = null;
        touched.add(l);
      }
    for (const l of touched) this.drain(l);
  }

  /** Closes every direct connection (the runtime is shutting down). */
  close(): void {
    for (const link of this.links.values()) link.conn?.close(1000, 'driver shutdown');
    this.links.clear();
  }
}
