import { AbortedError, AuthenticationError, RuntimeUnavailableError } from "../transport/errors.js";
import type { RuntimeTransport } from "../transport/types.js";
import { Deadline } from "./deadline.js";

// `SandboxAgent.connect`'s wait for the runtime: poll its health check until it passes, the
// deadline passes, the caller aborts, or the runtime refuses the credentials.

const HEALTH_POLL_MS = 100;

/**
 * Poll `transport.checkHealth` until it passes; each attempt and each pause is cut short at
 * the deadline. Rejects with `AuthenticationError` at once, `AbortedError` when `signal`
 * aborts, and `RuntimeUnavailableError` (with the last failure) after `timeoutMs`.
 */
export async function waitForHealth(transport: RuntimeTransport, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = new Deadline({ timeoutMs, signal, what: "connect" });
  let lastError: unknown;
  try {
    for (;;) {
      try {
        await deadline.race(transport.checkHealth(deadline.signal));
        return;
      } catch (error) {
        if (deadline.expired) break;
        if (error instanceof AuthenticationError || error instanceof AbortedError) throw error;
        lastError = error;
      }
      await deadline.settle(new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_MS)));
    }
  } finally {
    deadline.dispose();
  }
  if (deadline.error instanceof AbortedError) {
    throw new AbortedError("connect was aborted while waiting for the runtime", { cause: signal?.reason });
  }
  throw new RuntimeUnavailableError(
    `The runtime at ${transport.target} was not healthy within ${timeoutMs} ms: ${(lastError as Error | undefined)?.message ?? "no answer"}`,
    { cause: lastError },
  );
}
