// Claude Code (its ACP adapter, offline, against the loopback fake model) as agent `claude`
// under the real sandbox-agent runtime: the suite of test/support/claude-suite.ts.
import { expect, it } from "vitest";
import { claudeAdapterPids } from "../../harness/claude/index.js";
import { RawAcp, startRuntime } from "../../harness/index.js";
import { allEvents } from "../support/client.js";
import { describeClaudeSuite } from "../support/claude-suite.js";

/**
 * A `fetch` whose event streams hand on what arrived within each `ms` window as one chunk, as
 * a proxy or a busy network does: messages the runtime sent a moment apart reach the client in
 * one read.
 */
function coalescingFetch(ms: number): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!response.headers.get("content-type")?.includes("text/event-stream") || response.body === null) return response;
    let held: Uint8Array[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const release = (controller: TransformStreamDefaultController<Uint8Array>) => {
      if (held.length === 0) return;
      const chunk = Buffer.concat(held);
      held = [];
      try {
        controller.enqueue(chunk);
      } catch {
        // The reader went away.
      }
    };
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          held.push(chunk);
          timer ??= setTimeout(() => {
            timer = undefined;
            release(controller);
          }, ms);
        },
        flush(controller) {
          clearTimeout(timer);
          release(controller);
        },
      }),
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

describeClaudeSuite("sandbox-agent", async (model) => {
  const runtime = await startRuntime({ claude: { modelBaseUrl: model.baseUrl } });
  const agentPids = () => runtime.groupPids().filter((pid) => pid !== runtime.pid);
  const listed = async (): Promise<string[]> => {
    const res = await fetch(`${runtime.baseUrl}/v1/acp`, { headers: { authorization: `Bearer ${runtime.token}` } });
    const body = (await res.json()) as { servers?: { serverId?: string; id?: string }[] } | { serverId?: string; id?: string }[];
    const servers = Array.isArray(body) ? body : (body.servers ?? []);
    return servers.map((s) => String(s.serverId ?? s.id));
  };
  return {
    name: "sandbox-agent",
    sandbox: runtime.claude!,
    connectOptions: () => ({ baseUrl: runtime.baseUrl, token: runtime.token }),
    agentPids,
    adapterPids: () => claudeAdapterPids(runtime.pid),
    agentMessages: async (connectionId) => {
      // The runtime keeps the instance's last 1024 messages and replays them to a new subscriber.
      const sse = await new RawAcp(runtime, connectionId).subscribe();
      await new Promise((resolve) => setTimeout(resolve, 200));
      sse.close();
      return sse.messages.map((m) => m.message);
    },
    crash: () => runtime.kill(),
    start: () => runtime.restart(),
    // The runtime keeps every agent process until it stops (see the dispose test): end them.
    reset: async () => {
      if (agentPids().length > 0 || !runtime.running) await runtime.restart();
    },
    afterDispose: async (connectionId) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { instanceListed: (await listed()).includes(connectionId), agentPids: agentPids() };
    },
    stop: () => runtime.stop(),
  };
}, (suite) => {
  // BUG (src/client/agent-connection.ts, observeIncoming/bind): the local session is bound to
  // the agent's session id only when the code awaiting `session/new` resumes (Session.startNew
  // calls connection.bind after the answer resolved). An update for that session read in the
  // same batch as the answer (Claude sends available_commands_update right after it) finds no
  // binding and is dropped: neither stored nor given to onEvent. Without the coalescing fetch
  // this happens on sandbox-agent about 2 times in 3 here. Fix: bind when the answer to
  // session/new is observed. Then this test passes: drop `.fails`.
  it.fails("an update sent right after the answer to session/new is recorded (known bug: dropped when both arrive in one read)", async () => {
    const sdk = await suite.connect({ fetch: coalescingFetch(100) });
    const session = await sdk.createSession({ id: "c-after-new", agent: "claude", cwd: suite.target.sandbox.workspace });
    // The adapter writes it a moment after its answer; give it time to be read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const kinds = (await allEvents(sdk.persist, session.id)).map((e) => (e.payload as { params?: { update?: { sessionUpdate?: string } } }).params?.update?.sessionUpdate);
    expect(kinds).toContain("available_commands_update");
  });
});
