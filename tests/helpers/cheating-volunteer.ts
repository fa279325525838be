/**
 * A cheating volunteer, for the volunteer attack tests and `bench:volunteer` (never part of the
 * runtime): a real node agent that joins a head through the wire protocol with a volunteer link,
 * runs the work units it is given, and corrupts the output of every `every`-th one it returns (one
 * flipped byte in the middle of the output) — the classic cheater that saves no work but poisons
 * results. Run as a process:
 *
 *   node dist/tests/helpers/cheating-volunteer.js ADDRESS TOKEN NAME CPUS EVERY
 *
 * It prints `cheater joined as n-N` once registered and one `corrupted TASK` line per corrupted output.
 */
import { NodeAgent } from '../../runtime/node/node-agent.js';
import { nodePlatform } from '../../runtime/platform/node/platform.js';
import { withCredential } from '../../runtime/client/authenticate.js';
import { decodeMessage, encodeMessage } from '../../runtime/protocol/codec.js';
import type { Connection, Platform } from '../../runtime/platform/platform.js';

/** `conn`, with every `every`-th finished output it carries corrupted (`every` 0: none). */
export function corrupting(conn: Connection, every: number, onCorrupt: (taskId: string) => void): Connection {
  let outputs = 0;
  return {
    send(bytes: Uint8Array): void {
      const m = decodeMessage(bytes);
      if (every > 0 && m.type === 'TaskStatus' && m.state === 'Finished' && m.data && m.data.byteLength > 0 && ++outputs % every === 0) {
        const data = m.data.slice();
        data[data.length >> 1]! ^= 0x01;
        onCorrupt(m.taskId);
        conn.send(encodeMessage({ ...m, data }));
        return;
      }
      conn.send(bytes);
    },
    close: (code, reason) => conn.close(code, reason),
    get bufferedAmount() {
      return conn.bufferedAmount;
    },
    get onMessage() {
      return conn.onMessage;
    },
    set onMessage(f) {
      conn.onMessage = f;
    },
    get onClose() {
      return conn.onClose;
    },
    set onClose(f) {
      conn.onClose = f;
    },
    peer: conn.peer,
  };
}

/** The Node platform whose connections corrupt every `every`-th output. */
export function cheatingPlatform(every: number, onCorrupt: (taskId: string) => void): Platform {
  return { ...nodePlatform, connect: async (url) => corrupting(await nodePlatform.connect(url), every, onCorrupt) };
}

if (process.argv[1]?.endsWith('cheating-volunteer.js')) {
  const [address, token, name, cpus, every] = process.argv.slice(2);
  if (!address || !token || !name) {
    process.stderr.write('usage: cheating-volunteer.js ADDRESS TOKEN NAME CPUS EVERY\n');
    process.exit(2);
  }
  const platform = withCredential(
    cheatingPlatform(Number(every ?? 5), (taskId) => process.stdout.write(`corrupted ${taskId}\n`)),
    token,
    'volunteer',
  );
  const agent = new NodeAgent(platform, { address, cpus: Number(cpus ?? 1), name });
  agent.on((e) => {
    if (e.type === 'registered') process.stdout.write(`cheater joined as ${e.nodeId}\n`);
    if (e.type === 'trust' && e.report.quarantined) process.stdout.write('cheater quarantined\n');
    if (e.type === 'disconnected') process.exit(0);
  });
  process.on('SIGTERM', () => void agent.stop().finally(() => process.exit(0)));
  await agent.start();
}
