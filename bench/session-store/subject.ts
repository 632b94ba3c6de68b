import type { SessionKey, SessionStoreEntry, SessionSummaryEntry } from "@anthropic-ai/claude-agent-sdk";

// What the session store workloads drive: one of this package's stores, or a reference
// shape (bench/raw/claude-reference-*.ts), on a fresh schema or file.

/** The part of the SessionStore contract the workloads time. */
export interface StoreUnderTest {
  /** Append a batch to a transcript. */
  append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void>;
  /** Every entry of a transcript, or null. */
  load(key: SessionKey): Promise<SessionStoreEntry[] | null>;
  /** A project's sessions. */
  listSessions(projectKey: string): Promise<{ sessionId: string; mtime: number }[]>;
  /** A project's summaries, when the subject maintains them. */
  listSessionSummaries?(projectKey: string): Promise<SessionSummaryEntry[]>;
}

/** A fresh subject, and how to remove it. */
export interface SubjectInstance {
  /** The store. */
  store: StoreUnderTest;
  /** Close it and drop its schema or file. */
  cleanup(): Promise<void>;
}

/** One row of the table: a store or a reference shape on one engine. */
export interface Subject {
  /** Row name. */
  name: string;
  /** The engine, for pairing a store with its reference. */
  engine: "postgres" | "sqlite" | "redis" | "file";
  /** Whether this is the reference shape (the baseline of the ratios). */
  reference: boolean;
  /** A fresh, empty instance (on the bench's PostgreSQL or Redis server when it needs one). */
  open(postgresUrl: string | undefined, redisUrl?: string): Promise<SubjectInstance>;
}
