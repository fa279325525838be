/**
 * A macrotask scheduler: `setImmediate` where there is one (Node), a MessageChannel turn in
 * browsers (which have no setImmediate; a zero timeout would be clamped to 4 ms once nested).
 * Work scheduled with it runs after the messages and timers already due, so a loop that yields
 * through it lets heartbeats and replies go out in between.
 */
export function macrotask(): (fn: () => void) => void {
  if (typeof setImmediate === 'function') return (fn) => setImmediate(fn);
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (fn) => {
    queue.push(fn);
    channel.port2.postMessage(0);
  };
}
