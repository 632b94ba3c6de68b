import { MANIFEST_KEY, readManifest } from "../../src/agent-state/manifest.js";
import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import { PersistError } from "../../src/persist/errors.js";
import { parseSessionEvent, parseSessionRecord } from "../../src/persist/schemas.js";
import type { SessionEvent, SessionRecord } from "../../src/persist/types.js";
import { envelopeKind } from "../../src/protocol/envelopes.js";
import { historyTrimmedDetails } from "../../src/protocol/lifecycle-markers.js";
import { agentStateOf } from "../agent-state.js";
import { withStore, type CommandContext } from "../context.js";
import { CliError, notFoundError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import type { StoreDriver } from "../open-store.js";
import { progressFor } from "../progress.js";
import { allSessions, eventPages } from "../walk.js";

/** Kinds of problem `verify` reports. */
export type ProblemKind = "record" | "unreadable" | "gap" | "order" | "schema" | "payload" | "session_id" | "duplicate_id" | "agent_state";

/** One problem found. */
export interface Problem {
  /** What is wrong. */
  kind: ProblemKind;
  /** The session concerned. */
  sessionId: string;
  /** The event concerned, when there is one. */
  eventIndex?: number;
  /** Details for people. */
  detail: string;
}

/** Stop listing problems of one kind in one session after this many (the count is still given). */
const MAX_PER_SESSION = 20;

/**
 * `verify <store> [ids...]`: read every session (or those named) through the driver and
 * check it: the record against the schema, event indexes from 0 (or from a retention trim
 * marker) without gaps and ascending,
 * every event against the schema (fields, sender, `sessionId` of its session), every payload
 * a JSON-RPC 2.0 envelope, no event id twice across the store, and every page readable; where
 * the store keeps agent state files, each one readable whole at its listed size, and the
 * manifest a snapshot manifest. Problems exit 1.
 */
export async function verifyCommand(url: string, ids: string[], ctx: CommandContext): Promise<void> {
  const { out, signal } = ctx;
  await withStore(url, "read", async (store) => {
    const records: SessionRecord[] = [];
    if (ids.length > 0) {
      for (const id of ids) {
        const record = await store.driver.getSession(id);
        if (!record) throw notFoundError(store.display, id);
        records.push(record);
      }
    } else {
      for await (const record of allSessions(store.driver)) records.push(record);
    }
    const problems: Problem[] = [];
    const seen = new Map<string, string>();
    let events = 0;
    let agentStateFiles = 0;
    const storage = agentStateOf(store.driver);
    const progress = progressFor(out);
    progress.start(records.length, "verify");
    try {
      for (const record of records) {
        if (signal.aborted) throw new CliError("cli.interrupted", EXIT.interrupted, "interrupted: verification incomplete");
        events += await verifySession(store.driver, record, seen, problems);
        if (storage) agentStateFiles += await verifyAgentState(storage, record.id, problems);
        progress.tick(1, events, agentStateFiles);
      }
    } finally {
      progress.stop();
    }
    out.result({ store: store.display, ok: problems.length === 0, sessions: records.length, events, agentStateFiles, problems });
    for (const p of problems) out.line(`${p.sessionId}${p.eventIndex === undefined ? "" : ` #${p.eventIndex}`}: ${p.kind}: ${p.detail}`);
    out.line(
      problems.length === 0
        ? `ok: ${records.length} session(s), ${events} event(s)${agentStateFiles > 0 ? `, ${agentStateFiles} agent state file(s)` : ""} in ${store.display}: ` +
            `indexes gap-free, payloads and records valid, ids unique${agentStateFiles > 0 ? ", agent state readable" : ""}`
        : `${problems.length} problem(s) in ${store.display} (${records.length} session(s), ${events} event(s) read)`,
    );
    if (problems.length > 0) throw new CliError("cli.check_failed", EXIT.checkFailed, `verify found ${problems.length} problem(s)`);
  });
}

/** Check one session, adding its problems; returns the number of events read. */
async function verifySession(driver: StoreDriver, record: SessionRecord, seen: Map<string, string>, problems: Problem[]): Promise<number> {
  const id = record.id;
  const counts = new Map<ProblemKind, number>();
  const add = (p: Problem) => {
    const n = (counts.get(p.kind) ?? 0) + 1;
    counts.set(p.kind, n);
    if (n <= MAX_PER_SESSION) problems.push(p);
    else if (n === MAX_PER_SESSION + 1) problems.push({ kind: p.kind, sessionId: id, detail: `more ${p.kind} problems in this session not listed` });
  };
  try {
    parseSessionRecord(record);
  } catch (error) {
    add({ kind: "record", sessionId: id, detail: message(error) });
  }
  let expected = 0;
  let read = 0;
  let last = -1;
  try {
    for await (const page of eventPages(driver, id)) {
      for (const event of page) {
        // Retention deletes old events on purpose and leaves a marker at the cut: a history
        // that starts with one (its firstKeptIndex right after it) starts there, no gap.
        if (read === 0 && historyTrimmedDetails(event.payload)?.firstKeptIndex === event.eventIndex + 1) expected = event.eventIndex;
        read += 1;
        checkEvent(id, event, expected, add);
        if (event.eventIndex >= expected) expected = event.eventIndex + 1;
        last = event.eventIndex;
        const owner = seen.get(event.id);
        if (owner !== undefined) add({ kind: "duplicate_id", sessionId: id, eventIndex: event.eventIndex, detail: `event id "${event.id}" is also stored in session "${owner}"` });
        else seen.set(event.id, id);
      }
    }
  } catch (error) {
    add({ kind: "unreadable", sessionId: id, detail: `the events after #${last} cannot be read: ${message(error)}` });
  }
  return read;
}

/** Check that every agent state file of a session reads whole at its listed size; returns how many were read. */
async function verifyAgentState(storage: AgentStateStorage, sessionId: string, problems: Problem[]): Promise<number> {
  const add = (detail: string) => problems.push({ kind: "agent_state", sessionId, detail });
  let files;
  try {
    files = await storage.listAgentState(sessionId);
  } catch (error) {
    add(`the agent state files cannot be listed: ${message(error)}`);
    return 0;
  }
  for (const { path, size } of files) {
    let data: Uint8Array | undefined;
    try {
      data = await storage.readAgentState(sessionId, path);
    } catch (error) {
      add(`agent state file "${path}" cannot be read: ${describeError(error)}`);
      continue;
    }
    if (data === undefined) add(`agent state file "${path}" is listed (${size} byte(s)) but not stored`);
    else if (data.length !== size) add(`agent state file "${path}" reads ${data.length} byte(s), listed as ${size}`);
    else if (path === MANIFEST_KEY && (await readManifest(storage, sessionId)) === undefined) {
      add(`the snapshot manifest "${path}" is not a valid manifest: a restoring client ignores the snapshot and replays`);
    }
  }
  return files.length;
}

/** An error's name (when it says more than "Error") and message. */
function describeError(error: unknown): string {
  const name = error instanceof Error && error.name !== "Error" ? `${error.name}: ` : "";
  return `${name}${message(error)}`;
}

function checkEvent(sessionId: string, event: SessionEvent, expected: number, add: (p: Problem) => void): void {
  const at = { sessionId, eventIndex: event.eventIndex };
  if (event.eventIndex > expected) {
    const missing = event.eventIndex - expected;
    add({ ...at, kind: "gap", detail: `${missing} event(s) missing before it (#${expected}${missing > 1 ? `..#${event.eventIndex - 1}` : ""})` });
  } else if (event.eventIndex < expected) {
    add({ ...at, kind: "order", detail: `listed after #${expected - 1}: indexes must ascend` });
  }
  if (event.sessionId !== sessionId) add({ ...at, kind: "session_id", detail: `its sessionId is "${event.sessionId}"` });
  try {
    parseSessionEvent(event.sessionId, event);
  } catch (error) {
    add({ ...at, kind: "schema", detail: message(error) });
    return;
  }
  const payload = event.payload as unknown as Record<string, unknown>;
  if (payload.jsonrpc !== "2.0" || envelopeKind(event.payload) === undefined) {
    add({ ...at, kind: "payload", detail: "the payload is not a JSON-RPC 2.0 request, notification or response" });
  }
}

function message(error: unknown): string {
  if (error instanceof PersistError || error instanceof Error) return error.message;
  return String(error);
}
