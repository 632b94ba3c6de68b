import { describe, expect, it } from "vitest";
import {
  AcpHttpTransport,
  AcpWebSocketTransport,
  InvalidOptionsError,
  SandboxAgent,
  SandboxAgentTransport,
  selectTransport,
  type RuntimeTransport,
} from "../../src/index.js";

describe("selectTransport", () => {
  it("picks by URL scheme without a transport option: ws(s) is ACP WebSocket, http(s) is sandbox-agent", () => {
    expect(selectTransport({ baseUrl: "ws://127.0.0.1:1/acp" })).toBeInstanceOf(AcpWebSocketTransport);
    expect(selectTransport({ baseUrl: "WSS://agent.example/acp" })).toBeInstanceOf(AcpWebSocketTransport);
    expect(selectTransport({ baseUrl: "http://127.0.0.1:2468" })).toBeInstanceOf(SandboxAgentTransport);
    expect(selectTransport({ baseUrl: "https://runtime.example" })).toBeInstanceOf(SandboxAgentTransport);
  });

  it("builds the named transport, reading http and ws URLs alike", () => {
    const http = selectTransport({ baseUrl: "http://127.0.0.1:1/acp", transport: "acp-http" });
    expect(http).toBeInstanceOf(AcpHttpTransport);
    expect(http.target).toBe("http://127.0.0.1:1/acp");
    expect(selectTransport({ baseUrl: "ws://127.0.0.1:1/acp", transport: "acp-http" }).target).toBe("http://127.0.0.1:1/acp");
    const ws = selectTransport({ baseUrl: "https://agent.example/acp", transport: "acp-websocket" });
    expect(ws).toBeInstanceOf(AcpWebSocketTransport);
    expect(ws.target).toBe("wss://agent.example/acp");
    expect(selectTransport({ baseUrl: "ws://127.0.0.1:1", transport: "sandbox-agent" })).toBeInstanceOf(SandboxAgentTransport);
  });

  it("uses a transport instance as it is", () => {
    const mine: RuntimeTransport = { kind: "mine", target: "x", open: () => ({}) as never, checkHealth: async () => undefined };
    expect(selectTransport({ baseUrl: "ws://ignored", transport: mine })).toBe(mine);
  });

  it("refuses an unknown name, a missing URL and a URL of the wrong kind with a TypeError naming the problem", () => {
    expect(() => selectTransport({ baseUrl: "ws://h/acp", transport: "acp-grpc" as never })).toThrow(/Unknown transport "acp-grpc"/);
    expect(() => selectTransport({ transport: "acp-websocket" })).toThrow(/needs a baseUrl/);
    expect(() => selectTransport({ baseUrl: "ftp://h/acp", transport: "acp-websocket" })).toThrow(/expected ws:\/\/ or wss:\/\//);
    expect(() => selectTransport({ baseUrl: "not a url", transport: "acp-http" })).toThrow(/Invalid ACP HTTP URL/);
  });

  it("never puts the token in the target when it is sent as a query parameter", () => {
    const t = new AcpWebSocketTransport({ url: "ws://h/acp", token: "s3cret", tokenQueryParam: "access_token" });
    expect(t.target).toBe("ws://h/acp");
  });
});

describe("SandboxAgent transport option", () => {
  it("selects the transport from baseUrl and the transport name", () => {
    expect(new SandboxAgent({ baseUrl: "ws://127.0.0.1:1/acp" }).transport.kind).toBe("acp-websocket");
    expect(new SandboxAgent({ baseUrl: "http://127.0.0.1:1/acp", transport: "acp-http" }).transport.kind).toBe("acp-http");
    expect(new SandboxAgent({ baseUrl: "http://127.0.0.1:1" }).transport.kind).toBe("sandbox-agent");
  });

  it("turns a bad transport option into InvalidOptionsError", () => {
    expect(() => new SandboxAgent({ baseUrl: "ws://h/acp", transport: "nope" as never })).toThrow(InvalidOptionsError);
    expect(() => new SandboxAgent({ transport: "acp-http", fetch: globalThis.fetch })).toThrow(InvalidOptionsError);
  });
});
