import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import type { SessionEvent, SessionPersistDriver } from "../../src/persist/types.js";
import { allEvents } from "./client.js";

// The deterministic write plan shared by the crash tests (SQLite, files) and their child
// writer, so a test can rebuild every event the child wrote and compare it field by field;
// and the parent's side: run the writer, SIGKILL it, check what is stored.

/** Session the crash writer fills. */
export const CRASH_SESSION_ID = "crash-session";

/** The event at `eventIndex`: sizes vary from a few bytes to several pages (overflow pages). */
export function crashEvent(eventIndex: number): SessionEvent {
  const size = 20 + ((eventIndex * 7919) % 12_000);
  return {
    id: `crash-evt-${eventIndex}`,
    eventIndex,
    sessionId: CRASH_SESSION_ID,
    createdAt: 1_700_000_000_000 + eventIndex,
    connectionId: `conn-${eventIndex % 3}`,
    sender: eventIndex % 2 === 0 ? "client" : "agent",
    payload: {
      jsonrpc: "2.0",
      method: "session/update",
      params: {
        sessionId: "agent-session",
        update: {
          sessionUpdate: "agent_message_chunk",
          content: { type: "text", text: `#${eventIndex} ${"é∑🙂abc".repeat(Math.ceil(size / 8)).slice(0, size)}` },
        },
      },
    },
  };
}

/**
 * The groups of event indexes in write order: mostly single inserts, every seventh group a
 * batch of five (one `insertEvents` transaction), endlessly.
 */
export function* crashPlan(): Generator<number[]> {
  let next = 0;
  for (let group = 0; ; group++) {
    const size = group % 7 === 3 ? 5 : 1;
    yield Array.from({ length: size }, (_, k) => next + k);
    next += size;
  }
}

/** Indexes at which a write group of the plan ends (0 included): a batch is all or nothing. */
export function groupEnds(upTo: number): Set<number> {
  const ends = new Set<number>([0]);
  for (const group of crashPlan()) {
    const end = (group[group.length - 1] as number) + 1;
    ends.add(end);
    if (end > upTo) break;
  }
  return ends;
}

const WRITER = join(import.meta.dirname, "crash-writer.ts");

/**
 * Run the crash writer on a `kind` store at `path`, SIGKILL it after `acks`
 * acknowledgements; resolve with every acknowledged index.
 */
export function writeThenKill(kind: "sqlite" | "file" | "redis", path: string, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, kind, path], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let acked = 0;
    let killed = false;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (!killed) {
        acked += chunk.split("\n").length - 1; // the first line is "ready"
        if (acked > acks) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (signal !== "SIGKILL") {
        reject(new Error(`writer exited on its own (code ${code}): ${err}`));
        return;
      }
      // Only complete lines are acknowledgements.
      const lines = out.slice(0, out.lastIndexOf("\n")).split("\n");
      if (lines[0] !== "ready") {
        reject(new Error(`writer did not start: ${err}`));
        return;
      }
      resolve(lines.slice(1).map(Number));
    });
  });
}

/**
 * What a crash must leave: every acknowledged event (acknowledged in plan order), no gap,
 * each stored event exactly as written, and a stored prefix that ends on a group boundary.
 * Returns the stored events.
 */
export async function assertCrashSurvived(driver: SessionPersistDriver, acknowledged: number[], acks: number): Promise<SessionEvent[]> {
  expect(acknowledged.length).toBeGreaterThanOrEqual(acks);
  expect(acknowledged).toEqual(acknowledged.map((_, i) => i));
  const stored = await allEvents(driver, CRASH_SESSION_ID);
  expect(stored.map((e) => e.eventIndex)).toEqual(stored.map((_, i) => i));
  expect(stored.length).toBeGreaterThanOrEqual(acknowledged.length);
  for (const event of stored) expect(event).toEqual(crashEvent(event.eventIndex));
  expect(groupEnds(stored.length).has(stored.length)).toBe(true);
  return stored;
}
