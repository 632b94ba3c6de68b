// `durable-agent prune`: the retention policy as flags, on every store kind (whole sessions
// by age and count, a dry run that changes nothing, protected sessions), and a trim on
// SQLite that leaves a marker `verify` accepts.
import { describe, expect, it } from "vitest";
import { CLI_STORE_KINDS, jsonOf, recordedSession, runCli, seedStore, testStores } from "../support/cli.js";

const freshStore = testStores();

interface PruneReport {
  dryRun: boolean;
  scannedSessions: number;
  deletedSessions: { id: string; rule: string }[];
  trimmedSessions: { sessionId: string; removedEvents: number; firstKeptIndex: number }[];
}

const idsOf = async (url: string) =>
  jsonOf<{ items: { record: { id: string } }[] }>(await runCli(["ls", url, "--json"])).items.map((i) => i.record.id);

describe.each(CLI_STORE_KINDS)("durable-agent prune on %s", (kind) => {
  it("--max-age deletes idle sessions (a dry run first changes nothing; --keep protects)", async () => {
    const store = freshStore(kind, "prune");
    const driver = store.open();
    await seedStore(driver, 3); // 2023: long idle
    const recent = recordedSession("recent", Date.now() - 60_000, 1);
    await driver.updateSession(recent.record);
    await driver.insertEvents("recent", recent.events.map((e) => ({ ...e, createdAt: Date.now() - 1000 })));
    await driver.close();

    const dry = await runCli(["prune", store.url, "--max-age", "30d", "--keep", "ticket-0", "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = jsonOf<PruneReport>(dry);
    expect(planned.dryRun).toBe(true);
    expect(planned.deletedSessions.map((d) => d.id).sort()).toEqual(["ticket-1", "ticket-2"]);
    expect(await idsOf(store.url)).toEqual(["ticket-0", "ticket-1", "ticket-2", "recent"]);

    const done = await runCli(["prune", store.url, "--max-age", "30d", "--keep", "ticket-0"]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("delete ticket-1 (maxAgeMs");
    expect(await idsOf(store.url)).toEqual(["ticket-0", "recent"]);

    const count = jsonOf<PruneReport>(await runCli(["prune", store.url, "--max-sessions", "1", "--json"]));
    expect(count.deletedSessions).toEqual([expect.objectContaining({ id: "ticket-0", rule: "maxSessions" })]);
    expect(await idsOf(store.url)).toEqual(["recent"]);
  });
});

describe("durable-agent prune --max-events", () => {
  it("SQLite: trims a long session between turns; the history then starts at the trim marker and verify passes", async () => {
    const store = freshStore("sqlite", "trim");
    const driver = store.open();
    const long = recordedSession("long", 1_700_000_000_000, 30);
    await driver.updateSession(long.record);
    await driver.insertEvents("long", long.events);
    await driver.close();

    const result = await runCli(["prune", store.url, "--max-events", "60", "--replay-max-events", "4", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = jsonOf<PruneReport>(result);
    expect(report.trimmedSessions).toHaveLength(1);
    const trim = report.trimmedSessions[0]!;
    expect(trim.removedEvents).toBeGreaterThan(0);

    const events = jsonOf<{ items: { eventIndex: number; payload: { method?: string } }[] }>(await runCli(["events", store.url, "long", "--limit", "2", "--json"]));
    expect(events.items[0]).toMatchObject({ eventIndex: trim.firstKeptIndex - 1, payload: { method: "_durable_agent/history_trimmed" } });
    const show = await runCli(["show", store.url, "long"]);
    expect(show.stdout).toContain("older history trimmed by retention");
    const verify = await runCli(["verify", store.url]);
    expect(verify.code, verify.stdout).toBe(0);
  });

  it("refuses a prune without any rule (exit 2) and bad values (exit 2), changing nothing", async () => {
    const store = freshStore("sqlite", "prune-usage");
    const driver = store.open();
    await seedStore(driver, 1);
    await driver.close();
    const none = await runCli(["prune", store.url]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("give at least one of --max-age");
    const bad = await runCli(["prune", store.url, "--max-age", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("must be a number and a unit");
    expect(await idsOf(store.url)).toEqual(["ticket-0"]);
  });
});
