/**
 * Entry of the browser bundle the head serves: starts a node agent in this tab, connected to the
 * head that served the page, and shows its state. Exposes `globalThis.wrtNode` for tests.
 */
import { NodeAgent } from '../../node/node-agent.js';
import { browserPlatform } from '../../platform/browser/platform.js';
import { withCredential } from '../../client/authenticate.js';

const $ = (id: string): HTMLElement | null => document.getElementById(id);
const log = (line: string): void => {
  const el = $('log');
  if (el) el.textContent += `${new Date().toISOString().slice(11, 19)} ${line}\n`;
};

const status = { state: 'starting', nodeId: '', tasksFinished: 0, operators: [] as string[], error: '' };
(globalThis as { wrtNode?: typeof status }).wrtNode = status;

if (!crossOriginIsolated) {
  status.state = 'error';
  status.error = 'the page is not cross-origin isolated, so SharedArrayBuffer is unavailable';
  log(status.error);
} else {
  const address = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const params = new URLSearchParams(location.search);
  const cpus = Number(params.get('cpus')) || undefined;
  // The credential rides in the fragment (never sent to a server): the cluster secret joins a
  // trusted node, a volunteer link's token a volunteer.
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const role = token.startsWith('wrt.volunteer.') ? 'volunteer' : 'node';
  let platform = browserPlatform;
  try {
    platform = withCredential(browserPlatform, token, role);
  } catch {
    // Without a credential the head refuses the connection; agent.start() below reports it.
    log('no credential in this page address: open the volunteer link the head printed (it ends in #token=…)');
  }
  const agent = new NodeAgent(platform, { address, cpus, name: params.get('name') ?? undefined });
  agent.on((e) => {
    if (e.type === 'registered') {
      status.state = 'connected';
      status.nodeId = e.nodeId;
      log(`joined the cluster as ${e.nodeId} with ${agent.cpus} slots`);
    } else if (e.type === 'task-finished') {
      status.tasksFinished++;
      status.operators.push(e.operator);
      log(`${e.taskId}: ${e.operator} finished in ${e.elapsedMs.toFixed(1)} ms`);
    } else if (e.type === 'task-failed') log(`${e.taskId} failed: ${e.message}`);
    else if (e.type === 'disconnected') {
      status.state = 'disconnected';
      log(`disconnected: ${e.reason}`);
    }
    const s = $('state');
    if (s) s.textContent = status.state;
    const t = $('tasks');
    if (t) t.textContent = String(status.tasksFinished);
  });
  agent.start().catch((err: Error) => {
    status.state = 'error';
    status.error = err.message;
    log(err.message);
  });
}
