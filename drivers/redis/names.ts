import { PersistValidationError } from "../../src/persist/errors.js";

// Every key the Redis backends use, in one place. A session's keys carry a hash tag built
// from its id (`{s:<id>}`), so they share one hash slot: a Redis Cluster keeps a session on
// one node, and the scripts that touch a session name keys of one slot. The keys every
// session shares (the record hash, the listing index, the event-id registry) carry the tag
// `{g}`. Ids are escaped inside a tag (`%`, `{`, `}`, `:`), so an id can never end the
// tag early or collide with another id's keys.

/** Prefix of every key when none is given. */
export const DEFAULT_KEY_PREFIX = "durable-agent:";

/**
 * A key prefix the backends accept: 1-64 printable ASCII characters other than braces
 * (which would change the hash tag) and spaces.
 */
const PREFIX_PATTERN = /^[!-z|~]{1,64}$/;

/** Escape a string for use inside a hash tag: `%`, `{`, `}` and `:` become `%25`, `%7B`, `%7D`, `%3A`. */
export function tagOf(text: string): string {
  return text.replace(/[%{}:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/**
 * Validate a key prefix.
 * @throws PersistValidationError when it is not 1-64 printable ASCII characters without braces or spaces.
 */
export function checkKeyPrefix(prefix: unknown, what: string): string {
  if (typeof prefix !== "string" || !PREFIX_PATTERN.test(prefix)) {
    throw new PersistValidationError(what, [
      {
        path: "options.keyPrefix",
        message: `must be 1-64 printable ASCII characters without braces or spaces (got ${JSON.stringify(prefix)})`,
      },
    ]);
  }
  return prefix;
}

/** The keys of the session persistence driver under one prefix. */
export class PersistKeys {
  /** Session id → `<createdAt key><record JSON>` (see rows.ts), tag `{g}`. */
  readonly records: string;
  /** Listing index: a sorted set of `<createdAt key><session id>`, all at score 0, read by lex range; tag `{g}`. */
  readonly order: string;
  /** Event id → `<eventIndex>:<session id>`: event ids are unique across sessions; tag `{g}`. */
  readonly eventIds: string;

  /** @param prefix a prefix checked by {@link checkKeyPrefix}. */
  constructor(readonly prefix: string) {
    this.records = `${prefix}{g}:records`;
    this.order = `${prefix}{g}:order`;
    this.eventIds = `${prefix}{g}:event-ids`;
  }

  /** A session's events: a sorted set, score `eventIndex`, member the event's JSON. */
  events(sessionId: string): string {
    return `${this.prefix}{s:${tagOf(sessionId)}}:events`;
  }
}

/**
 * The keys of the session store (the Claude Agent SDK's `SessionStore`) under one prefix.
 * A session's keys (its transcripts and their mtimes) share the tag
 * `{c:<project>:<session>}`; a project's indexes (sessions and their mtimes, summaries,
 * last activity for retention) share `{p:<project>}`; the list of projects is under `{g}`.
 */
export class StoreKeys {
  /** Every project that has stored something (for pruning across projects). */
  readonly projects: string;

  /** @param prefix a prefix checked by {@link checkKeyPrefix}. */
  constructor(readonly prefix: string) {
    this.projects = `${prefix}{g}:claude-projects`;
  }

  /** A session's transcripts: a hash, subpath (`""` for the main transcript) → mtime (epoch ms). */
  mtimes(projectKey: string, sessionId: string): string {
    return `${this.#session(projectKey, sessionId)}:mtimes`;
  }

  /** A transcript's entries: a list of JSON texts, in order. */
  entries(projectKey: string, sessionId: string, subpath: string): string {
    return `${this.#session(projectKey, sessionId)}:e:${subpath}`;
  }

  /** A transcript's stored uuids: a set. */
  uuids(projectKey: string, sessionId: string, subpath: string): string {
    return `${this.#session(projectKey, sessionId)}:u:${subpath}`;
  }

  /** A project's sessions with a main transcript: a hash, session id → mtime of the main transcript. */
  sessions(projectKey: string): string {
    return `${this.#project(projectKey)}:sessions`;
  }

  /** A project's summaries: a hash, session id → `<version>:<mtime>:<summary data JSON>`. */
  summaries(projectKey: string): string {
    return `${this.#project(projectKey)}:summaries`;
  }

  /** A project's sessions by last activity (newest mtime of any transcript): a sorted set, for pruning. */
  activity(projectKey: string): string {
    return `${this.#project(projectKey)}:activity`;
  }

  #session(projectKey: string, sessionId: string): string {
    return `${this.prefix}{c:${tagOf(projectKey)}:${tagOf(sessionId)}}`;
  }

  #project(projectKey: string): string {
    return `${this.prefix}{p:${tagOf(projectKey)}}`;
  }
}
