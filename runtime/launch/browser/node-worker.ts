/**
 * The node agent of a browser tab, in a dedicated worker (bundled as /assets/node-worker.js): its
 * WebSocket, heartbeats and slot workers live off the page's main thread, so a hidden tab — whose
 * main-thread timers Chrome throttles to one wake a second, then a minute — or a busy page keeps
 * honest time with the head. The page (node-main.ts) starts it and sets what it offers.
 */
import { NodeAgent } from '../../node/node-agent.js';
import { browserPlatform } from '../../platform/browser/platform.js';
import { withCredential } from '../../client/authenticate.js';
import type { FromAgent, ToAgent } from './worker-messages.js';

const post = (m: FromAgent): void => (globalThis as unknown as { postMessage(m: FromAgent): void }).postMessage(m);
let agent: NodeAgent | null = null;

globalThis.addEventListener('message', (ev: Event) => {
  const m = (ev as MessageEvent<ToAgent>).data;
  if (m.type === 'start' && !agent) {
    let platform = browserPlatform;
    try {
      platform = withCredential(browserPlatform, m.token, m.role);
    } catch {
      // Without a credential the head refuses the connection; start() below reports it.
    }
    const a = new NodeAgent(platform, { address: m.address, cpus: m.cpus, name: m.name, reportDeployments: true });
    agent = a;
    a.on((event) => post({ type: 'event', event }));
    a.start().then(
      (nodeId) => post({ type: 'started', nodeId, cpus: a.cpus }),
      (err: Error) => post({ type: 'error', message: err.message }),
    );
  } else if (m.type === 'offer') agent?.offer(m.cpus);
  else if (m.type === 'stop') void agent?.stop();
});
