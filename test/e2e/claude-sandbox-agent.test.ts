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
  // The runtime publishes a request's answer on the event stream and answers its POST; when it
  // dies in between, the POST fails after the answer was delivered. That failure must not
  // answer the request a second time (the ACP SDK printed "Got response to unknown request").
  it("a POST that fails after its answer came on the event stream does not answer the request again", async () => {
    let failNextPrompt = false;
    const failingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (failNextPrompt && init?.method === "POST" && String(init.body ?? "").includes('"method":"session/prompt"')) {
        failNextPrompt = false;
        await response.body?.cancel();
        // Let the answer arrive on the event stream first, then lose the POST's connection.
        await new Promise((resolve) => setTimeout(resolve, 300));
        throw new TypeError("fetch failed", { cause: new Error("other side closed") });
      }
      return response;
    };
    const sdk = await suite.connect({ fetch: failingFetch });
    const session = await sdk.createSession({ id: "c-post-fails", agent: "claude", cwd: suite.target.sandbox.workspace });
    failNextPrompt = true;
    const response = await session.prompt("answered on the stream");
    expect(response.stopReason).toBe("end_turn");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stored = await allEvents(sdk.persist, session.id);
    // Only the agent's answer is recorded for the prompt; no failure response after it.
    expect(stored.filter((e) => e.sender === "client" && "error" in e.payload)).toEqual([]);
    // The failed POST said the runtime may be gone: the next prompt checks and goes on.
    expect((await session.prompt("and the next one")).stopReason).toBe("end_turn");
  });

  // The local session is bound to the agent's session id as soon as the answer to session/new
  // is observed, so an update read in the same batch (Claude sends available_commands_update
  // right after it) is recorded and reaches onEvent; the coalescing fetch makes that batch.
  it("an update sent right after the answer to session/new is recorded, also when both arrive in one read", async () => {
    const sdk = await suite.connect({ fetch: coalescingFetch(100) });
    const session = await sdk.createSession({ id: "c-after-new", agent: "claude", cwd: suite.target.sandbox.workspace });
    // The adapter writes it a moment after its answer; give it time to be read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const kinds = (await allEvents(sdk.persist, session.id)).map((e) => (e.payload as { params?: { update?: { sessionUpdate?: string } } }).params?.update?.sessionUpdate);
    expect(kinds).toContain("available_commands_update");
  });
});
