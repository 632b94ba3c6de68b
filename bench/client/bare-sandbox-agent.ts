import { client as acpClient, type AnyMessage, type ClientConnection } from "@agentclientprotocol/sdk";
import { EventSourceParserStream } from "eventsource-parser/stream";

// The baseline of the round-trip workload: the official ACP SDK's client on the smallest
// stream over sandbox-agent's routes that works (POST each message, read the SSE stream),
// with no recording, no attribution, no loss detection: what an app would write by hand.

/** A bare ACP client connection to agent `agent` on the runtime at `baseUrl`. */
export async function connectBare(baseUrl: string, token: string, agent: string): Promise<{ acp: ClientConnection; close(): void }> {
  const path = `${baseUrl}/v1/acp/bare-${crypto.randomUUID()}`;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const abort = new AbortController();
  let inbound!: ReadableStreamDefaultController<AnyMessage>;
  let first = true;
  let opened: Promise<void> | undefined;
  const readEvents = async () => {
    const response = await fetch(path, { headers: { ...headers, accept: "text/event-stream" }, signal: abort.signal });
    const events = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
    for await (const event of events as unknown as AsyncIterable<{ data: string }>) inbound.enqueue(JSON.parse(event.data) as AnyMessage);
  };
  const stream = {
    readable: new ReadableStream<AnyMessage>({ start: (c) => void (inbound = c) }),
    writable: new WritableStream<AnyMessage>({
      write: async (message) => {
        const url = first ? `${path}?agent=${agent}` : path;
        const post = fetch(url, { method: "POST", headers, body: JSON.stringify(message) }).then((r) => r.body?.cancel());
        if (first) {
          first = false;
          opened = post.then(() => void readEvents().catch(() => undefined));
          await opened;
        } else if (!("method" in message && "id" in message)) {
          await post;
        } else {
          void post.catch(() => undefined);
        }
      },
    }),
  };
  const acp = acpClient({ name: "bare" }).onNotification("session/update", () => undefined).connect(stream);
  await acp.agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} });
  return { acp, close: () => { abort.abort(); acp.close(); } };
}
