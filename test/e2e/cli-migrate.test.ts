// `durable-agent migrate` as a user runs it: between store kinds, interrupted by SIGKILL and
// by Ctrl-C mid-way then run again (continues, nothing doubled), verified at the end (a
// tampered target is a non-zero exit).
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { adminPool } from "../support/postgres.js";
import { finished, jsonOf, printed, recordedSession, runCli, seedStore, startCli, testStores, type TestStore } from "../support/cli.js";
import type { PersistDriver } from "../../src/persist/persist-driver.js";

const freshStore = testStores();

interface MigrateReport {
  sessions: number;
  events: { copied: number; alreadyThere: number };
  verify?: { sessions: number; events: number; mismatches: { sessionId: string; detail: string }[] };
}

/** Seed `sessions` recorded sessions of about `turns * 11` events each; returns the event total. */
async function seedLarge(driver: PersistDriver, sessions: number, turns: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < sessions; i++) {
    const { record, events } = recordedSession(`big-${String(i).padStart(3, "0")}`, 1_700_000_000_000 + i, turns);
    await driver.updateSession(record);
    for (let j = 0; j < events.length; j += 1000) await driver.insertEvents(record.id, events.slice(j, j + 1000));
    total += events.length;
  }
  return total;
}

/** Events stored in a PostgreSQL test store, and how many distinct ids among them. */
async function pgCounts(store: TestStore): Promise<{ events: number; distinct: number; sessions: number }> {
  const pool = adminPool();
  try {
    const events = await pool.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM "${store.where}".durable_agent_events`);
    const sessions = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${store.where}".durable_agent_sessions`);
    return { events: Number(events.rows[0]!.n), distinct: Number(events.rows[0]!.d), sessions: Number(sessions.rows[0]!.n) };
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return { events: 0, distinct: 0, sessions: 0 }; // tables not created yet
    throw error;
  } finally {
    await pool.end();
  }
}

/** Start a migration and stop it with `signal` once the target holds some but not all events. */
async function interruptMidway(from: TestStore, to: TestStore, signal: NodeJS.Signals) {
  const child = startCli(["migrate", from.url, to.url, "--json"]);
  let seen = 0;
  for (let i = 0; i < 6000; i++) {
    seen = (await pgCounts(to)).events;
    if (seen > 0 || child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(child.exitCode, `migration ended before it could be interrupted: ${printed(child).stderr}`).toBeNull();
  child.kill(signal);
  const result = await finished(child);
  const after = await pgCounts(to);
  return { result, seen, after };
}

describe("durable-agent migrate", () => {
  it("SQLite -> PostgreSQL, SIGKILLed mid-way, resumes where it stopped: nothing doubled, verified", async () => {
    const from = freshStore("sqlite", "mig-src");
    const to = freshStore("postgres", "mig_kill");
    const driver = from.open();
    const total = await seedLarge(driver, 40, 90);
    await driver.close();

    const { result, after } = await interruptMidway(from, to, "SIGKILL");
    expect(result.code).toBeNull(); // killed
    expect(after.events).toBeGreaterThan(0);
    expect(after.events).toBeLessThan(total);

    const resumed = await runCli(["migrate", from.url, to.url, "--json"], { timeoutMs: 180_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = jsonOf<MigrateReport>(resumed);
    expect(report.events.alreadyThere).toBeGreaterThanOrEqual(after.events);
    expect(report.events.copied + report.events.alreadyThere).toBe(total);
    expect(report.verify).toMatchObject({ sessions: 40, events: total, mismatches: [] });
    const counts = await pgCounts(to);
    expect(counts).toEqual({ events: total, distinct: total, sessions: 40 });

    // A third run copies nothing.
    const third = jsonOf<MigrateReport>(await runCli(["migrate", from.url, to.url, "--json"], { timeoutMs: 180_000 }));
    expect(third.events).toEqual({ copied: 0, alreadyThere: total });
    const verify = await runCli(["verify", to.url]);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it("Ctrl-C (SIGINT) stops after a whole batch with exit 130; the next run finishes", async () => {
    const from = freshStore("sqlite", "mig-int");
    const to = freshStore("postgres", "mig_int");
    const driver = from.open();
    const total = await seedLarge(driver, 40, 90);
    await driver.close();

    const { result, after } = await interruptMidway(from, to, "SIGINT");
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain("run the same migrate again to continue");
    expect(after.events % 1).toBe(0);
    expect(after.events).toBeLessThan(total);

    const resumed = await runCli(["migrate", from.url, to.url, "--json"], { timeoutMs: 180_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonOf<MigrateReport>(resumed).verify?.mismatches).toEqual([]);
    expect(await pgCounts(to)).toEqual({ events: total, distinct: total, sessions: 40 });
  });

  it.each([
    ["redis", "file"],
    ["file", "redis"],
    ["postgres", "sqlite"],
  ] as const)("%s -> %s copies every session and verifies", async (fromKind, toKind) => {
    const from = freshStore(fromKind, "pair-src");
    const to = freshStore(toKind, "pair-dst");
    const driver = from.open();
    const sessions = await seedStore(driver, 3);
    await driver.close();
    const result = await runCli(["migrate", from.url, to.url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("verified: 3 session(s)");
    expect((await runCli(["export", to.url])).stdout).toBe((await runCli(["export", from.url])).stdout);
    expect(sessions).toHaveLength(3);
  });

  it("a target that lost an event in the middle fails verification (exit 1) and names the session", async () => {
    const from = freshStore("sqlite", "mig-bad");
    const to = freshStore("postgres", "mig_bad");
    const driver = from.open();
    await seedStore(driver, 3);
    await driver.close();
    expect((await runCli(["migrate", from.url, to.url])).code).toBe(0);
    const pool = adminPool();
    try {
      await pool.query(`DELETE FROM "${to.where}".durable_agent_events WHERE session_id = 'ticket-1' AND event_index = 7`);
    } finally {
      await pool.end();
    }
    const again = await runCli(["migrate", from.url, to.url, "--json"]);
    expect(again.code).toBe(1);
    const report = jsonOf<MigrateReport>(again);
    expect(report.verify?.mismatches).toEqual([{ sessionId: "ticket-1", detail: expect.stringContaining("event(s) in the source") }]);
    expect(again.stderr).toContain("verification failed");
  });

  it("refuses a target that holds a different record under the same id (exit 5), copying the others; --update-records replaces it", async () => {
    const from = freshStore("sqlite", "mig-conf");
    const to = freshStore("file", "mig-conf");
    const source = from.open();
    const sessions = await seedStore(source, 2);
    await source.close();
    const target = to.open();
    await target.updateSession({ ...sessions[0]!.record, agent: "someone-else" });
    await target.close();
    const result = await runCli(["migrate", from.url, to.url, "--json"]);
    expect(result.code).toBe(5);
    const report = jsonOf<{ conflicts: { sessionId: string }[] }>(result);
    expect(report.conflicts.map((c) => c.sessionId)).toEqual(["ticket-0"]);
    const check = to.open();
    expect((await check.getSession("ticket-0"))?.agent).toBe("someone-else");
    expect((await check.listEvents({ sessionId: "ticket-0" })).items).toEqual([]);
    expect((await check.listEvents({ sessionId: "ticket-1" })).items).toHaveLength(sessions[1]!.events.length);
    await check.close();

    // The source is the truth when asked: the record is replaced, the session copied, verified.
    const forced = await runCli(["migrate", from.url, to.url, "--update-records", "--json"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(jsonOf<{ recordsReplaced: string[]; verify: { mismatches: unknown[] } }>(forced)).toMatchObject({ recordsReplaced: ["ticket-0"], verify: { mismatches: [] } });
    expect((await runCli(["export", to.url])).stdout).toBe((await runCli(["export", from.url])).stdout);
  });
});

describe("durable-agent migrate progress", () => {
  /** Run the CLI under a pseudo-terminal (util-linux `script`), as at a terminal; its output (stdout and stderr merged). */
  function onTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
    const command = ["node", "--import", "tsx", "cli/main.ts", ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    return new Promise((done) => {
      const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: resolve(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
      child.on("close", (code) => done({ code, output }));
    });
  }

  it("draws a progress bar on a terminal, never when piped or with --json", async () => {
    const from = freshStore("sqlite", "bar-src");
    const driver = from.open();
    await seedStore(driver, 3);
    await driver.close();

    const tty = await onTerminal(["migrate", from.url, freshStore("file", "bar-tty").url]);
    expect(tty.code, tty.output).toBe(0);
    expect(tty.output).toMatch(/copy \[[^\]]*\] 3\/3 sessions \| \d+ events/);
    expect(tty.output).toMatch(/verify \[[^\]]*\] 3\/3 sessions/);

    const json = await onTerminal(["migrate", from.url, freshStore("file", "bar-json").url, "--json"]);
    expect(json.code, json.output).toBe(0);
    expect(json.output).not.toContain("sessions |");
    expect(JSON.parse(json.output.trim())).toMatchObject({ sessions: 3 });

    const piped = await runCli(["migrate", from.url, freshStore("file", "bar-pipe").url]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe("");
    expect(piped.stdout).toContain("verified: 3 session(s)");
  });
});
