import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RuntimeLostError } from "../../src/index.js";
import { HttpEndpoint } from "../../src/transport/http.js";
import { SandboxAgentEventStream, type StreamGap } from "../../src/transport/sandbox-agent-events.js";

// The event stream reader against a small SSE server that behaves like sandbox-agent's:
// sequence ids from 1, a replay buffer of the last `ring` messages answered after
// Last-Event-ID, and a script per connection saying which ids it sends (so a test can make
// the "runtime" skip some, as it does for a lagging subscriber).

interface FakeRuntime {
  url: string;
  /** Last-Event-ID header of each connection, in order (undefined: none). */
  resumes: (string | undefined)[];
  close(): Promise<void>;
}

/**
 * `total` messages with ids 1..total. Connection k sends, after its Last-Event-ID, the ids
 * `plan(k, available)` picks from those the buffer still holds (default: all of them), then
 * ends the response when `end(k)` says so (default: stays open).
 */
async function fakeRuntime(options: {
  total: number;
  ring?: number;
  plan?: (connection: number, available: number[]) => number[];
  status?: (connection: number) => number;
  /** Whether connection k ends its response after sending (default: stays open). */
  end?: (connection: number) => boolean;
}): Promise<FakeRuntime> {
  const resumes: (string | undefined)[] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const connection = resumes.length;
    const lastEventId = req.headers["last-event-id"] as string | undefined;
    resumes.push(lastEventId);
    const status = options.status?.(connection) ?? 200;
    if (status !== 200) {
      res.writeHead(status, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ type: "urn:test:error", status, detail: "instance not found" }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    open.add(res);
    res.on("close", () => open.delete(res));
    const after = lastEventId === undefined ? 0 : Number(lastEventId);
    const ringStart = Math.max(1, options.total - (options.ring ?? 1024) + 1);
    const available: number[] = [];
    for (let id = Math.max(after + 1, connection === 0 ? 1 : ringStart); id <= options.total; id++) available.push(id);
    const ids = options.plan ? options.plan(connection, available) : available;
    res.write(": heartbeat\n\n");
    for (const id of ids) res.write(`event: message\nid: ${id}\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "session/update", params: { n: id } })}\n\n`);
    if (options.end?.(connection)) res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    resumes,
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Read the fake runtime's stream until `count` messages arrived (or the stream is lost). */
async function read(runtime: FakeRuntime, count: number, maxRetries = 3) {
  const received: number[] = [];
  const gaps: StreamGap[] = [];
  let lost: RuntimeLostError | undefined;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const isMissing = (status: number) => status === 404;
  const stream = new SandboxAgentEventStream(
    new HttpEndpoint({ baseUrl: runtime.url }),
    "/v1/acp/test",
    "test-connection",
    isMissing,
    {
      message: (message) => {
        received.push((message as { params: { n: number } }).params.n);
        if (received.length >= count) done();
      },
      gap: (gap) => gaps.push(gap),
      lost: (error) => {
        lost = error;
        done();
      },
    },
    { maxRetries },
  );
  stream.start();
  const timer = setTimeout(done, 5000);
  await finished;
  clearTimeout(timer);
  stream.stop();
  return { received, gaps, lost, stats: stream.stats };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the sandbox-agent event stream reader", () => {
  let runtime: FakeRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it("delivers every message once, in order, when nothing is skipped", async () => {
    runtime = await fakeRuntime({ total: 300 });
    const { received, gaps, stats } = await read(runtime, 300);
    expect(received).toEqual(range(1, 300));
    expect(gaps).toEqual([]);
    expect(stats).toEqual({ reconnects: 0, gapsHealed: 0, gapsLost: 0, eventsLost: 0 });
    expect(runtime.resumes).toEqual([undefined]);
  });

  it("heals a mid-stream gap: resumes from the last id seen and drops nothing, duplicates nothing", async () => {
    // The first connection skips 51..80 (as the runtime does for a lagging reader).
    runtime = await fakeRuntime({ total: 200, plan: (c, ids) => (c === 0 ? ids.filter((id) => id <= 50 || id > 80) : ids) });
    const { received, gaps, stats } = await read(runtime, 200);
    expect(received).toEqual(range(1, 200));
    expect(gaps).toEqual([]);
    expect(stats).toMatchObject({ reconnects: 1, gapsHealed: 1, gapsLost: 0 });
    expect(runtime.resumes).toEqual([undefined, "50"]);
  });

  it("reports a gap the buffer no longer covers, with its ids, and goes on after it", async () => {
    // 2000 messages, a buffer of 1024: after a skip of 51..1500 the resume starts at 977.
    runtime = await fakeRuntime({ total: 2000, ring: 1024, plan: (c, ids) => (c === 0 ? ids.filter((id) => id <= 50 || id > 1500) : ids) });
    const { received, gaps, stats } = await read(runtime, 50 + (2000 - 976));
    expect(gaps).toEqual([{ fromId: 51, toId: 976 }]);
    expect(received).toEqual([...range(1, 50), ...range(977, 2000)]);
    expect(stats).toMatchObject({ reconnects: 1, gapsHealed: 0, gapsLost: 1, eventsLost: 926 });
  });

  it("treats a first stream that does not start at id 1 as a gap too (asks again from 0)", async () => {
    runtime = await fakeRuntime({ total: 100, plan: (c, ids) => (c === 0 ? ids.filter((id) => id > 10) : ids) });
    const { received, gaps } = await read(runtime, 100);
    expect(received).toEqual(range(1, 100));
    expect(gaps).toEqual([]);
    expect(runtime.resumes).toEqual([undefined, "0"]);
  });

  it("resumes a stream that ended with Last-Event-ID, and counts a stream that cannot be reopened as lost", async () => {
    runtime = await fakeRuntime({ total: 40, plan: (c, ids) => (c === 0 ? ids.slice(0, 20) : ids), end: (c) => c === 0 });
    const first = await read(runtime, 40);
    expect(first.received).toEqual(range(1, 40));
    expect(runtime.resumes).toEqual([undefined, "20"]);
    expect(first.gaps).toEqual([]);
    await runtime.close();
    runtime = await fakeRuntime({ total: 5, status: () => 404 });
    const second = await read(runtime, 1);
    expect(second.received).toEqual([]);
    expect(second.lost).toBeInstanceOf(RuntimeLostError);
    expect(second.lost?.message).toMatch(/HTTP 404: instance not found/);
  });
});
