/** Entry of a slot thread in Node (worker_threads). */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { runSlot } from '../../node/slot.js';
import { WrtError } from '../../errors.js';
import { nodeConnectors } from './connectors.js';
import { confinedConnectors, type Confinement } from './confinement.js';

if (!parentPort)
  throw new WrtError('WRT_INVALID_ARGUMENT', 'slot-entry.js is the entry of a slot thread: start it with new Worker(), not on its own');
const port = parentPort;
// Set by configuredNodePlatform (the CLI's and the SDK's nodes): what the slot's jobs may reach.
const confinement = (workerData as { confinement?: Confinement } | null)?.confinement;
runSlot({
  postMessage: (m, transfer) => port.postMessage(m, transfer as never),
  onMessage: (handler) => port.on('message', handler),
  poll: () => receiveMessageOnPort(port)?.message as unknown,
  connectors: confinement ? confinedConnectors(nodeConnectors, confinement) : nodeConnectors,
});
