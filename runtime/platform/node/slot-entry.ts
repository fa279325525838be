/** Entry of a slot thread in Node (worker_threads). */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { runSlot } from '../../node/slot.js';
import { openFile } from './source-file.js';
import { connectJetStream } from './jetstream.js';

if (!parentPort) throw new Error('slot-entry must run in a worker thread');
const port = parentPort;
runSlot({
  postMessage: (m, transfer) => port.postMessage(m, transfer as never),
  onMessage: (handler) => port.on('message', handler),
  poll: () => receiveMessageOnPort(port)?.message as unknown,
  connectors: { openFile, connectJetStream },
});
