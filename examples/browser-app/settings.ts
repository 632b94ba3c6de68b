// Names the browser app, its build script and its test share.

/** The IndexedDB database the app stores sessions and events in. */
export const DATABASE_NAME = "durable-agent-example";

/** The database of `?encrypt=1`: apart, so clear and encrypted conversations never mix. */
export const ENCRYPTED_DATABASE_NAME = "durable-agent-example-encrypted";

/** The localStorage key under which the app keeps the id of the current conversation. */
export const SESSION_ID_KEY = "durable-agent-example:session-id";

/** What the page reads from `config.json` (written next to it by serve.ts): where the runtime is. */
export interface AppConfig {
  /** The runtime's base URL, e.g. `http://127.0.0.1:2468`. It must allow the page's origin (CORS). */
  baseUrl: string;
  /** Bearer token of the runtime. */
  token?: string;
  /** Agent id on the runtime (`mock` is the scripted agent of the bundled runtime). */
  agent: string;
}
