// Yielding to the event loop between slices of work, so socket reads (and timers) run in
// between. Promise callbacks never yield: a long chain of them starves I/O.

type Callback = () => void;

const post: (callback: Callback) => void = (() => {
  const g = globalThis as { setImmediate?: (callback: Callback) => unknown };
  if (typeof g.setImmediate === "function") return (callback) => void g.setImmediate!(callback);
  if (typeof MessageChannel === "function") {
    // Browsers: a message to oneself is a macrotask without setTimeout's 4 ms clamp.
    const channel = new MessageChannel();
    const queue: Callback[] = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return (callback) => {
      queue.push(callback);
      channel.port2.postMessage(null);
    };
  }
  return (callback) => void setTimeout(callback, 0);
})();

/** Run `callback` in a later macrotask, after pending I/O callbacks had their turn. */
export function nextMacrotask(callback: Callback): void {
  post(callback);
}
