// The browser app: a chat with an agent whose conversation survives page reloads. The
// session's id is kept in localStorage and every envelope in IndexedDB, so a reloaded page
// shows the history at once and resumes the same session: the agent gets the earlier
// conversation back (by `session/load`, or replayed with the next prompt).
//
// `?encrypt=1` stores it encrypted (its own database, a key kept in the origin: app-key.ts);
// `?redact=1` stores every envelope with the secrets redactSecrets() finds replaced.
//
// Built by build.ts from the SDK's sources; an app imports the same names from
// "durable-agent", "durable-agent/indexeddb" and "durable-agent/encryption".
import { IndexedDbSessionPersistDriver } from "../../drivers/indexeddb.js";
import { encryptedPersistDriver } from "../../src/encryption.js";
import {
  isAgentMessageChunk,
  isUndeliveredResponse,
  promptOf,
  redactSecrets,
  REPLAY_HEADER,
  SandboxAgent,
  textOf,
  type Session,
  type SessionEvent,
  type SessionPersistDriver,
} from "../../src/index.js";
import { APP_KEY_ID, appKey } from "./app-key.js";
import { DATABASE_NAME, ENCRYPTED_DATABASE_NAME, SESSION_ID_KEY, type AppConfig } from "./settings.js";

const statusLine = element<HTMLParagraphElement>("status");
const transcript = element<HTMLElement>("transcript");
const form = element<HTMLFormElement>("composer");
const input = element<HTMLTextAreaElement>("prompt");
const sendButton = element<HTMLButtonElement>("send");

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

/** The status line; `data-state` is starting, ready, busy or error. */
function setStatus(state: "starting" | "ready" | "busy" | "error", text: string): void {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
  const usable = state === "ready" || state === "error";
  input.disabled = !usable;
  sendButton.disabled = !usable;
}

/** Renders a session's events as chat messages: the user's prompts and the agent's streamed replies. */
class TranscriptView {
  private lastIndex = -1;
  private reply: HTMLElement | undefined;
  private loading: unknown;
  /** Messages of prompts still waiting for their answer, by JSON-RPC id. */
  private readonly pending = new Map<unknown, HTMLElement[]>();

  add(event: SessionEvent): void {
    // Stored history and live events may overlap while the page starts: show each once.
    if (event.eventIndex <= this.lastIndex) return;
    this.lastIndex = event.eventIndex;
    const message = event.payload;
    const prompt = event.sender === "client" ? promptOf(event) : undefined;
    if (prompt && "id" in message) {
      const shown: HTMLElement[] = [];
      for (const block of prompt) {
        if (block.type !== "text") continue;
        if (block.text.startsWith(REPLAY_HEADER)) shown.push(this.show("note", "↺ earlier conversation replayed to the agent"));
        else shown.push(this.show("user", block.text));
      }
      this.pending.set(message.id, shown);
      this.reply = undefined;
    } else if (event.sender === "client" && "method" in message && message.method === "session/load" && "id" in message) {
      // The agent streams the old conversation back while loading: it is on screen already.
      this.loading = message.id;
    } else if (isAgentMessageChunk(event)) {
      const text = textOf(event);
      if (this.loading === undefined && text !== undefined) {
        this.reply ??= this.show("agent", "");
        this.reply.textContent += text;
        this.reply.scrollIntoView({ block: "end" });
      }
    } else if (!("method" in message)) {
      if (message.id === this.loading) this.loading = undefined;
      // A prompt that never reached the agent (the runtime was gone) was sent again, or
      // failed for the user to retry: it is not part of the conversation.
      if (isUndeliveredResponse(message)) for (const shown of this.pending.get(message.id) ?? []) shown.remove();
      this.pending.delete(message.id);
      this.reply = undefined; // a response ends the turn
    }
  }

  private show(kind: "user" | "agent" | "note", text: string): HTMLElement {
    const div = document.createElement("div");
    div.className = `message ${kind}`;
    div.textContent = text;
    transcript.append(div);
    return div;
  }
}

/** Every stored event of a session, page by page, straight from the store. */
async function showStoredHistory(persist: SessionPersistDriver, sessionId: string, view: TranscriptView): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await persist.listEvents({ sessionId, cursor, limit: 500 });
    for (const event of page.items) view.add(event);
    cursor = page.nextCursor;
  } while (cursor);
}

async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("./config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status} (start the app with serve.ts)`);
  return (await response.json()) as AppConfig;
}

function describeRestoration(session: Session): string {
  switch (session.lastRestoration?.method) {
    case "load":
      return "Resumed: the agent reloaded the conversation (session/load).";
    case "replay":
      return "Resumed from IndexedDB: the conversation is replayed to the agent with your next prompt.";
    default:
      return "New conversation.";
  }
}

async function main(): Promise<void> {
  const sessionId = localStorage.getItem(SESSION_ID_KEY) ?? crypto.randomUUID();
  localStorage.setItem(SESSION_ID_KEY, sessionId);
  element("session-id").textContent = sessionId;
  element("new-conversation").addEventListener("click", () => {
    // The old conversation stays in IndexedDB; only the pointer to it is dropped.
    localStorage.removeItem(SESSION_ID_KEY);
    location.reload();
  });

  const flags = new URLSearchParams(location.search);
  const encrypt = flags.get("encrypt") === "1";
  const store = new IndexedDbSessionPersistDriver({ databaseName: encrypt ? ENCRYPTED_DATABASE_NAME : DATABASE_NAME });
  const persist: SessionPersistDriver = encrypt ? encryptedPersistDriver(store, { keys: [{ id: APP_KEY_ID, key: await appKey() }] }) : store;
  const view = new TranscriptView();
  await showStoredHistory(persist, sessionId, view);

  const config = await loadConfig();
  setStatus("starting", `Connecting to ${config.baseUrl}…`);
  const redact = flags.get("redact") === "1" ? redactSecrets() : undefined;
  const sdk = await SandboxAgent.connect({ baseUrl: config.baseUrl, token: config.token, persist, redact });
  const session = await sdk.resumeOrCreateSession({ id: sessionId, agent: config.agent });
  session.onEvent((event) => view.add(event));
  // Storing events failed even after retries: say so rather than lose history silently.
  session.onError((error) => setStatus("error", `Could not store the conversation: ${error.message}`));
  setStatus("ready", describeRestoration(session));

  form.addEventListener("submit", (submit) => {
    submit.preventDefault();
    const text = input.value.trim();
    if (text === "") return;
    input.value = "";
    setStatus("busy", "The agent is replying…");
    // After a runtime restart the SDK restores the session before sending: nothing to do here.
    session.prompt(text).then(
      (response) => setStatus("ready", `Done (${response.stopReason}).`),
      (error: Error) => {
        input.value = text; // let the user send it again
        setStatus("error", `${error.name}: ${error.message}`);
      },
    );
  });
  input.addEventListener("keydown", (key) => {
    if (key.key === "Enter" && !key.shiftKey) {
      key.preventDefault();
      form.requestSubmit();
    }
  });
  window.addEventListener("pagehide", () => void sdk.dispose());
}

main().catch((error: Error) => setStatus("error", `${error.name}: ${error.message}`));
