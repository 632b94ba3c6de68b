// `durable-agent tail -f` follows a session while another process appends to it: through
// LISTEN/NOTIFY on PostgreSQL, by polling on the other stores (and on PostgreSQL with
// --poll, for writers without notify). Ctrl-C ends it with exit 0.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { channelOf } from "../../drivers/postgres/statements.js";
import { tableNames } from "../../drivers/postgres/names.js";
import { adminPool, postgresUrl } from "../support/postgres.js";
import { redisUrl } from "../support/redis.js";
import { finished, printed, seedStore, startCli, testStores, type CliStoreKind, type TestStore } from "../support/cli.js";

const freshStore = testStores();
const ROOT = resolve(import.meta.dirname, "../..");
const APPENDED = 20;

/** Run the writer process to its end. */
function appendFromAnotherProcess(store: TestStore, sessionId: string, notify: boolean): Promise<number | null> {
  const spec = {
    kind: store.kind,
    where: store.where,
    notify,
    ...(store.kind === "postgres" ? { url: postgresUrl() } : store.kind === "redis" ? { url: redisUrl() } : {}),
  };
  const child = spawn(process.execPath, ["--import", "tsx", "test/support/cli-append-writer.ts", JSON.stringify(spec), sessionId, String(APPENDED), "40"], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
  });
  return new Promise((done) => child.on("close", (code) => done(code)));
}

async function until(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CASES: [string, CliStoreKind, string[], boolean][] = [
  ["postgres (LISTEN/NOTIFY)", "postgres", [], true],
  ["postgres (--poll, writer without notify)", "postgres", ["--poll", "--interval", "100"], false],
  ["sqlite (polling)", "sqlite", ["--interval", "100"], false],
  ["redis (polling)", "redis", ["--interval", "100"], false],
  ["file (polling)", "file", ["--interval", "100"], false],
];

describe("durable-agent tail -f", () => {
  it.each(CASES)("%s: sees every event another process appends, in order, once; Ctrl-C exits 0", async (_name, kind, flags, notify) => {
    const store = freshStore(kind, "tail");
    const driver = store.open();
    const [session] = await seedStore(driver, 1);
    await driver.close();
    const lastSeeded = session!.events.length - 1;

    const tail = startCli(["tail", store.url, "ticket-0", "-f", "-n", "1", "--json", ...flags]);
    const lines = () => printed(tail).stdout.split("\n").filter((l) => l !== "");
    await until(() => lines().length >= 1, 30_000, () => `tail printed nothing: ${printed(tail).stderr}`);

    if (kind === "postgres") {
      // The follower holds a connection whose last statement is its LISTEN on this schema's
      // channel; polling holds none.
      const channel = channelOf(tableNames(store.where, "durable_agent_"));
      const pool = adminPool();
      try {
        let listening = 0;
        for (let i = 0; i < 100 && listening === 0; i++) {
          const found = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query = $1`, [`LISTEN "${channel}"`]);
          listening = Number(found.rows[0]!.n);
          if (listening === 0) await new Promise((r) => setTimeout(r, 50));
        }
        expect(listening > 0).toBe(notify);
      } finally {
        await pool.end();
      }
    }
    expect(await appendFromAnotherProcess(store, "ticket-0", notify)).toBe(0);
    await until(() => lines().length >= APPENDED + 1, 30_000, () => `tail printed ${lines().length} lines: ${printed(tail).stderr}`);
    tail.kill("SIGINT");
    const result = await finished(tail, 30_000);
    expect(result.code, result.stderr).toBe(0);
    const indexes = lines().map((l) => (JSON.parse(l) as { eventIndex: number }).eventIndex);
    expect(indexes).toEqual(Array.from({ length: APPENDED + 1 }, (_, i) => lastSeeded + i));
    const texts = lines().slice(1).map((l) => (JSON.parse(l) as { payload: { params: { update: { content: { text: string } } } } }).payload.params.update.content.text);
    expect(texts).toEqual(Array.from({ length: APPENDED }, (_, i) => `live ${i} ✓`));
  });
});
