/**
 * A WebSocket relay between nodes and a head that records every message it passes: nodes connect to
 * the tap's address as if it were the head, the tap opens one connection to the real head for each,
 * and the bytes go through unchanged. Tests read what the head told a node and when (deployments,
 * grants) without touching either process.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { decodeFrame, MAX_FRAME_BYTES } from '../../runtime/protocol/codec.js';
import type { Message } from '../../runtime/protocol/messages.js';

/** One message seen by the tap: `toNode` from the head, `toHead` from a node; `at` in ms (performance.now). */
export interface TappedMessage {
  direction: 'toNode' | 'toHead';
  /** Which node connection (0, 1, … in the order they connected). */
  connection: number;
  at: number;
  message: Message;
}

const bytesOf = (data: RawData): Uint8Array =>
  Array.isArray(data)
    ? new Uint8Array(Buffer.concat(data))
    : new Uint8Array(data instanceof ArrayBuffer ? data : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));

export class FrameTap {
  readonly messages: TappedMessage[] = [];
  private readonly sockets = new Set<WebSocket>();

  private constructor(
    private readonly server: WebSocketServer,
    /** The address nodes connect to instead of the head's. */
    readonly address: string,
  ) {}

  /** Starts a tap on a free loopback port in front of the head at `head` (its ws:// URL). */
  static async start(head: string): Promise<FrameTap> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws', maxPayload: MAX_FRAME_BYTES + 1024 });
    await once(server, 'listening');
    const tap = new FrameTap(server, `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`);
    let connections = 0;
    server.on('connection', (node) => {
      const connection = connections++;
      const upstream = new WebSocket(head, { maxPayload: MAX_FRAME_BYTES + 1024, perMessageDeflate: false });
      tap.sockets.add(node).add(upstream);
      const early: Uint8Array[] = [];
      const record = (direction: TappedMessage['direction'], frame: Uint8Array): void => {
        const at = performance.now();
        for (const message of decodeFrame(frame)) tap.messages.push({ direction, connection, at, message });
      };
      node.on('message', (data) => {
        const frame = bytesOf(data);
        record('toHead', frame);
        if (upstream.readyState === WebSocket.OPEN) upstream.send(frame);
        else early.push(frame);
      });
      upstream.on('open', () => {
        for (const f of early.splice(0)) upstream.send(f);
      });
      upstream.on('message', (data) => {
        const frame = bytesOf(data);
        record('toNode', frame);
        if (node.readyState === WebSocket.OPEN) node.send(frame);
      });
      const closeBoth = (code: number): void => {
        const c = code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1000;
        if (node.readyState === WebSocket.OPEN) node.close(c);
        if (upstream.readyState === WebSocket.OPEN) upstream.close(c);
      };
      node.on('close', (code) => closeBoth(code));
      upstream.on('close', (code) => closeBoth(code));
      node.on('error', () => closeBoth(1011));
      upstream.on('error', () => closeBoth(1011));
    });
    return tap;
  }

  /** Closes every relayed connection and the listener. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
