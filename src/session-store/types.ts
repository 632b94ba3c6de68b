// The Claude Agent SDK's SessionStore contract, as types only: nothing here loads the SDK.
import type { SessionKey, SessionStoreEntry, foldSessionSummary } from "@anthropic-ai/claude-agent-sdk";

export type { SessionKey, SessionStore, SessionStoreEntry, SessionSummaryEntry } from "@anthropic-ai/claude-agent-sdk";

/** The SDK's `foldSessionSummary`: folds appended entries into a session's running summary. */
export type FoldSessionSummary = typeof foldSessionSummary;

/** One session of a project as `listSessions` returns it. */
export interface SessionListing {
  /** The session's id. */
  sessionId: string;
  /** When its main transcript last stored an entry: integer epoch milliseconds. */
  mtime: number;
}

/** A key after validation: `subpath` is `""` for the main transcript. */
export interface TranscriptKey {
  /** The project (tenant) scope. */
  readonly projectKey: string;
  /** The session. */
  readonly sessionId: string;
  /** `""` for the main transcript, the subagent transcript's subpath otherwise. */
  readonly subpath: string;
}

/** One entry ready to store: its `uuid` (the idempotency key) when it has one, and its JSON text. */
export interface PreparedEntry {
  /** The entry's `uuid`, or `null` for an entry without one (never de-duplicated). */
  readonly uuid: string | null;
  /** The entry as JSON text. */
  readonly json: string;
  /** The entry as given, for the summary fold. */
  readonly entry: SessionStoreEntry;
}

/** What a store's backend needs to maintain a session's summary inside `append`. */
export interface SummaryFold {
  /** The SDK's fold (or the one given in the options). */
  readonly fold: FoldSessionSummary;
  /** The key of the main transcript, as the SDK gave it. */
  readonly key: SessionKey;
}
