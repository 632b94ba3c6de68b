import type { SandboxAgentApi } from "../transport/sandbox-agent-api.js";
import { SandboxAgentTransport } from "../transport/sandbox-agent.js";
import type { RuntimeTransport } from "../transport/types.js";
import { Deadline } from "./deadline.js";
import { InvalidOptionsError } from "./errors.js";

// The runtime's control routes (`/v1/health`, `/v1/agents`, `/v1/acp`), which only a
// sandbox-agent runtime has. Their client loads with the first such call: most apps never
// make one.

/**
 * Make one control route call within `timeoutMs` (loading the routes' client counts toward
 * it). Throws `InvalidOptionsError` when the runtime is not a sandbox-agent one.
 */
export async function callControlRoute<T>(
  transport: RuntimeTransport,
  timeoutMs: number,
  call: (api: SandboxAgentApi, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  if (!(transport instanceof SandboxAgentTransport)) {
    throw new InvalidOptionsError(`This runtime (${transport.kind} at ${transport.target}) has no sandbox-agent control routes`);
  }
  const deadline = new Deadline({ timeoutMs, what: "The runtime call" });
  try {
    const { SandboxAgentApi } = await deadline.race(import("../transport/sandbox-agent-api.js"));
    return await deadline.race(call(new SandboxAgentApi(transport.endpoint), deadline.signal));
  } finally {
    deadline.dispose();
  }
}
