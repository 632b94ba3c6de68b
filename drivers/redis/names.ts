import { PersistValidationError } from "../../src/persist/errors.js";

// Every key the Redis backends use, in one place. A session's keys carry a hash tag built
// from its id (`{s:<id>}`), so they share one hash slot: a Redis Cluster keeps a session on
// one node, and the scripts that touch a session name keys of one slot. The keys every
// session shares (the record hash, the listing index, the event-id registry) carry the tag
// `{g}`. Session ids are escaped inside the tag (`%`, `{`, `}`), so an id can never end the
// tag early or collide with another id's keys.

/** Prefix of every key when none is given. */
export const DEFAULT_KEY_PREFIX = "durable-agent:";

/**
 * A key prefix the backends accept: 1-64 printable ASCII characters other than braces
 * (which would change the hash tag) and spaces.
 */
const PREFIX_PATTERN = /^[!-z|~]{1,64}$/;

/** Escape a session id for use inside a hash tag: `%`, `{` and `}` become `%25`, `%7B`, `%7D`. */
export function tagOf(sessionId: string): string {
  return sessionId.replace(/[%{}]/g, (c) => (c === "%" ? "%25" : c === "{" ? "%7B" : "%7D"));
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

  /** A session's event ids: a hash, event id → `eventIndex` (what a delete frees in the registry). */
  ids(sessionId: string): string {
    return `${this.prefix}{s:${tagOf(sessionId)}}:ids`;
  }
}
