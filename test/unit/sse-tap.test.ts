import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createParser } from "eventsource-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SseFrameSplitter, parseSseFrame } from "../support/sse-frames.js";
import { sseTap } from "../support/sse-tap.js";

// The SSE tap against a tiny local SSE server shaped like sandbox-agent's event stream:
// `event: message` / `id: n` / `data: {json}` frames, `: heartbeat` comments, resumed after
// Last-Event-ID, written in awkward chunks.

const FRAMES = 6;

/** One frame as the runtime writes it (optionally with CRLF line endings). */
function frame(id: number, eol = "\n"): string {
  const data = JSON.stringify({ jsonrpc: "2.0", method: "session/update", params: { n: id, text: `chunk ${id} é 🙂` } });
  return `event: message${eol}id: ${id}${eol}data: ${data}${eol}${eol}`;
}

/** Frames after `lastEventId`, with a heartbeat comment after the second and CRLFs on odd ids. */
function body(lastEventId: number): string {
  let out = "";
  for (let id = lastEventId + 1; id <= FRAMES; id++) {
    out += frame(id, id % 2 ? "\r\n" : "\n");
    if (id === 2) out += ": heartbeat\n\n";
  }
  return out;
}

let server: Server;
let base: string;
/** How the server writes a body: all at once, or one byte per write. */
let chunking: "whole" | "bytes" = "whole";
const closedRequests: string[] = [];

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.once("close", () => closedRequests.push(req.url ?? ""));
  if (req.url === "/v1/acp/missing") {
    res.writeHead(404, { "content-type": "application/problem+json" }).end('{"status":404}');
    return;
  }
  if (req.method === "POST" || req.url === "/v1/health") {
    res.writeHead(200, { "content-type": "text/plain" }).end(body(0));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  if (req.url === "/v1/acp/endless") {
    res.write(frame(1)); // and never ends
    return;
  }
  const bytes = Buffer.from(body(Number(req.headers["last-event-id"] ?? 0)));
  if (chunking === "whole") {
    res.end(bytes);
    return;
  }
  for (const byte of bytes) {
    res.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end();
}

/** Reads a response the way the SDK does (eventsource-parser); returns the ids and data it saw. */
async function readEvents(res: Response): Promise<{ ids: string[]; data: string[] }> {
  const seen = { ids: [] as string[], data: [] as string[] };
  const parser = createParser({
    onEvent: (event) => {
      seen.ids.push(event.id ?? "");
      seen.data.push(event.data);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  return seen;
}

const sse = (path: string, lastEventId?: number) => ({
  url: `${base}${path}`,
  init: { headers: { accept: "text/event-stream", ...(lastEventId ? { "last-event-id": String(lastEventId) } : {}) } },
});

beforeAll(async () => {
  server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("sseTap", () => {
  it("drops the chosen frames of the first stream only and records every stream and frame", async () => {
    chunking = "whole";
    const offered: { id: number; streamIndex: number; n: number }[] = [];
    const tap = sseTap({
      drop: (f) => {
        offered.push({ id: f.id, streamIndex: f.streamIndex, n: (JSON.parse(f.data) as { params: { n: number } }).params.n });
        return f.streamIndex === 0 && (f.id === 3 || f.id === 4);
      },
    });
    const first = sse("/v1/acp/s1");
    const lossy = await readEvents(await tap.fetch(first.url, first.init));
    expect(lossy.ids).toEqual(["1", "2", "5", "6"]);
    // The client resumes after the last id it saw before the gap.
    const again = sse("/v1/acp/s1", 2);
    const healed = await readEvents(await tap.fetch(again.url, again.init));
    expect(healed.ids).toEqual(["3", "4", "5", "6"]);
    expect(healed.data.map((d) => (JSON.parse(d) as { params: { text: string } }).params.text)).toContain("chunk 3 é 🙂");

    expect(offered.every((o) => o.n === o.id)).toBe(true);
    expect(tap.streams).toEqual([
      { index: 0, url: first.url, lastEventId: undefined, passed: [1, 2, 5, 6], dropped: [3, 4] },
      { index: 1, url: again.url, lastEventId: "2", passed: [3, 4, 5, 6], dropped: [] },
    ]);
    expect(tap.passed).toEqual([1, 2, 5, 6, 3, 4, 5, 6]);
    expect(tap.dropped).toEqual([3, 4]);
  });

  it("cuts frames right whatever the chunk boundaries: one byte per write, CRLFs, multi-byte characters", async () => {
    chunking = "bytes";
    try {
      const tap = sseTap({ drop: (f) => f.id % 2 === 0 });
      const { url, init } = sse("/v1/acp/s2");
      const text = await (await tap.fetch(url, init)).text();
      // Everything but the dropped frames, byte for byte, heartbeat comment included.
      expect(text).toBe(frame(1, "\r\n") + ": heartbeat\n\n" + frame(3, "\r\n") + frame(5, "\r\n"));
      expect(tap.dropped).toEqual([2, 4, 6]);
    } finally {
      chunking = "whole";
    }
  });

  it("leaves every other request alone: POSTs, other paths, no event-stream accept header, error statuses", async () => {
    const tap = sseTap({ drop: () => true });
    const post = await tap.fetch(`${base}/v1/acp/s3`, { method: "POST", headers: { accept: "text/event-stream" }, body: "{}" });
    expect(await post.text()).toBe(body(0));
    const health = sse("/v1/health");
    expect(await (await tap.fetch(health.url, health.init)).text()).toBe(body(0));
    expect(await (await tap.fetch(`${base}/v1/acp/s3`)).text()).toBe(body(0));
    const missing = sse("/v1/acp/missing");
    expect((await tap.fetch(missing.url, missing.init)).status).toBe(404);
    expect(tap.streams).toEqual([]);
    expect(tap.dropped).toEqual([]);
    // A Request object with its own headers is recognised too.
    const request = new Request(`${base}/v1/acp/s3`, { headers: { accept: "text/event-stream", "last-event-id": "5" } });
    expect(await (await tap.fetch(request)).text()).toBe("");
    expect(tap.streams).toMatchObject([{ index: 0, lastEventId: "5" }]);
    expect(tap.dropped).toEqual([6]);
  });

  it("passes cancellation on to the runtime's stream", async () => {
    const tap = sseTap();
    const { url, init } = sse("/v1/acp/endless");
    const res = await tap.fetch(url, init);
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe(frame(1));
    await reader.cancel();
    await expect.poll(() => closedRequests).toContain("/v1/acp/endless");
  });
});

describe("SseFrameSplitter", () => {
  it("keeps a CR at a chunk's end until it knows whether an LF follows, and returns an unterminated tail", () => {
    const splitter = new SseFrameSplitter();
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(splitter.push(enc("id: 1\r\ndata: x\r\n\r"))).toEqual([]);
    expect(splitter.push(enc("\nid: 2\rdata: y\r\r"))).toEqual(["id: 1\r\ndata: x\r\n\r\n"]);
    expect(splitter.push(enc("id: 3\ndata: z"))).toEqual(["id: 2\rdata: y\r\r"]);
    expect(splitter.end()).toEqual({ frames: [], tail: "id: 3\ndata: z" });
    expect(parseSseFrame("id: 2\rdata: y\rdata:  z\r: note\revent:message\r\r")).toEqual({ id: "2", event: "message", data: "y\n z" });
  });
});
