import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { AbortedError, RuntimeTimeoutError } from "../../src/index.js";
import { Deadline } from "../../src/client/deadline.js";
import { InboundQueue } from "../../src/transport/inbound-queue.js";

const never = () => new Promise<never>(() => undefined);

describe("Deadline", () => {
  it("rejects a step that outlives the time limit with RuntimeTimeoutError, on time", async () => {
    const deadline = new Deadline({ timeoutMs: 50, what: "The prompt" });
    const started = performance.now();
    await expect(deadline.race(never())).rejects.toBeInstanceOf(RuntimeTimeoutError);
    expect(performance.now() - started).toBeLessThan(500);
    expect(deadline.expired).toBe(true);
    expect(deadline.signal.aborted).toBe(true);
    await expect(deadline.race(Promise.resolve(1))).rejects.toThrow("The prompt did not finish within 50 ms");
    deadline.dispose();
  });

  it("rejects with AbortedError when the caller's signal aborts, and says what was aborted", async () => {
    const controller = new AbortController();
    const deadline = new Deadline({ signal: controller.signal, what: "connect" });
    const pending = deadline.race(never());
    controller.abort(new Error("user left"));
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    await expect(pending).rejects.toThrow("connect was aborted");
    deadline.dispose();
  });

  it("passes a step's own result and failure through, and lets the caller name what was missed", async () => {
    const deadline = new Deadline({ timeoutMs: 1000, what: "x" });
    await expect(deadline.race(Promise.resolve("ok"))).resolves.toBe("ok");
    await expect(deadline.race(Promise.reject(new Error("own")))).rejects.toThrow("own");
    deadline.dispose();
    const late = new Deadline({ timeoutMs: 10, what: "x" });
    await expect(late.race(never(), (error) => new AbortedError(`late: ${error.message}`))).rejects.toThrow("late: x did not finish within 10 ms");
    late.dispose();
  });

  it("never lets a step left behind reject unobserved, and settle() never rejects", async () => {
    const deadline = new Deadline({ timeoutMs: 10, what: "x" });
    const step = new Promise((_, reject) => setTimeout(() => reject(new Error("later")), 30));
    await expect(deadline.race(step)).rejects.toBeInstanceOf(RuntimeTimeoutError);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the setup file fails the test on an unhandled rejection
    await expect(deadline.settle(Promise.reject(new Error("no")))).resolves.toBeUndefined();
    deadline.dispose();
  });

  it("leaves no listener on the caller's signal once disposed", async () => {
    const controller = new AbortController();
    for (let i = 0; i < 50; i++) {
      const deadline = new Deadline({ signal: controller.signal, timeoutMs: 1000, what: "x" });
      await deadline.race(Promise.resolve(i));
      deadline.dispose();
    }
    expect(EventEmitter.getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});

describe("InboundQueue", () => {
  it("hands every message on once, in order, then closes", async () => {
    const queue = new InboundQueue();
    for (let i = 0; i < 1000; i++) queue.push({ jsonrpc: "2.0", method: "n", params: { i } });
    queue.close();
    const seen: number[] = [];
    const reader = queue.readable.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen.push((value as { params: { i: number } }).params.i);
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(queue.backlog).toBe(0);
  });

  it("lets timers run while a long burst is handed on", async () => {
    const queue = new InboundQueue();
    for (let i = 0; i < 5000; i++) queue.push({ jsonrpc: "2.0", method: "n", params: { i } });
    queue.close();
    let timerRanAt = -1;
    let count = 0;
    setTimeout(() => (timerRanAt = count), 0);
    const reader = queue.readable.getReader();
    while (!(await reader.read()).done) count++;
    expect(count).toBe(5000);
    // The timer fired part-way through, not only after the whole burst.
    expect(timerRanAt).toBeGreaterThanOrEqual(0);
    expect(timerRanAt).toBeLessThan(5000);
  });

  it("drops what is queued on abort", async () => {
    const queue = new InboundQueue();
    queue.push({ jsonrpc: "2.0", method: "n" });
    queue.abort();
    queue.push({ jsonrpc: "2.0", method: "late" });
    const reader = queue.readable.getReader();
    expect((await reader.read()).done).toBe(true);
  });
});
