/** Entry of a slot thread in the browser (a module Web Worker). */
import { runSlot } from '../../node/slot.js';
import { browserConnectors } from './connectors.js';

const scope = self as unknown as {
  postMessage(m: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', h: (ev: MessageEvent) => void): void;
};
runSlot({
  postMessage: (m, transfer) => scope.postMessage(m, transfer ?? []),
  onMessage: (handler) => scope.addEventListener('message', (ev) => handler(ev.data)),
  connectors: browserConnectors,
});
