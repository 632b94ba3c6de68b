// The CLI's contract with scripts and people: exit codes for usage errors (2), unreachable
// stores (3), clear messages for bad store URLs (IndexedDB and memory say why), credentials
// never printed, --json errors that parse, and the built bin.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { finished, jsonOf, runCli, seedStore, startCli, testStores } from "../support/cli.js";

const freshStore = testStores();
const ROOT = resolve(import.meta.dirname, "../..");
// DURABLE_AGENT_CLI_BUILT: a dist/cli.js built elsewhere (a clean clone), to check a build without touching dist/.
const BUILT = process.env.DURABLE_AGENT_CLI_BUILT ?? join(ROOT, "dist/cli.js");
const SECRET = "hunter2-Sup3rSecret";

interface ErrorDoc {
  error: { code: string; exitCode: number; message: string };
}

describe("durable-agent usage and exit codes", () => {
  it("--help and --version exit 0", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["ls", "show", "events", "export", "import", "migrate", "prune", "verify", "tail"]) expect(help.stdout).toContain(command);
    const version = await runCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe("dev");
  });

  it("an unknown command or option, or a missing argument, is exit 2 with a hint", async () => {
    const unknown = await runCli(["lss", "sqlite:./x.db"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'lss'");
    expect(unknown.stderr).toContain("Did you mean ls?");
    const option = await runCli(["ls", "sqlite:./x.db", "--limmit", "3"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("--limmit");
    const missing = await runCli(["show", "sqlite:./x.db"]);
    expect(missing.code).toBe(2);
    const badLimit = await runCli(["events", "sqlite:./x.db", "s", "--limit", "-4"]);
    expect(badLimit.code).toBe(2);
    const json = jsonOf<ErrorDoc>(await runCli(["ls", "sqlite:./x.db", "--limit", "zero", "--json"]));
    expect(json.error).toMatchObject({ code: "cli.usage", exitCode: 2 });
  });

  it.each([
    ["mysql://root:" + SECRET + "@db/app", "unknown scheme \"mysql:\""],
    ["./sessions.db", "no scheme"],
    ["indexeddb:durable-agent", "IndexedDB lives inside a browser"],
    ["memory:", "a memory store is empty when the command starts"],
    ["sqlite:", "no path after \"sqlite:\""],
    ["sqlite::memory:", "an in-memory SQLite database is gone"],
    ["sqlite:./x.db?tablePrefix=x", "unknown option \"tablePrefix\" (options here: prefix)"],
    ["file:./dir?fsync=sometimes", "option \"fsync\" must be always or never"],
    ["postgres://" + SECRET + "@/db", "not a valid URL"],
  ])("bad store URL %s: exit 2, says why, prints no credentials", async (url, why) => {
    const result = await runCli(["ls", url, "--json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(why);
    const doc = jsonOf<ErrorDoc>(result);
    expect(doc.error).toMatchObject({ code: "cli.bad_store_url", exitCode: 2 });
    expect(result.stdout + result.stderr).not.toContain(SECRET);
  });

  it("unreachable servers and missing files are exit 3; credentials are masked", async () => {
    const pg = await runCli(["ls", `postgres://admin:${SECRET}@127.0.0.1:1/app`, "--json"]);
    expect(pg.code).toBe(3);
    expect(jsonOf<ErrorDoc>(pg).error.code).toBe("cli.store_unavailable");
    expect(pg.stderr).toContain("postgres://***@127.0.0.1:1/app");
    expect(pg.stdout + pg.stderr).not.toContain(SECRET);

    const redis = await runCli(["verify", `redis://:${SECRET}@127.0.0.1:1`]);
    expect(redis.code).toBe(3);
    expect(redis.stderr).toContain("redis://***@127.0.0.1:1");
    expect(redis.stdout + redis.stderr).not.toContain(SECRET);

    const file = join(tmpdir(), `durable-agent-missing-${process.pid}.db`);
    const sqlite = await runCli(["ls", `sqlite:${file}`]);
    expect(sqlite.code).toBe(3);
    expect(sqlite.stderr).toContain("no SQLite database at");
    expect(existsSync(file)).toBe(false); // a read never creates a store
    const dir = await runCli(["export", `file:${join(tmpdir(), `durable-agent-missing-${process.pid}`)}`]);
    expect(dir.code).toBe(3);
  });

  it("a cursor that is not one of ls's is exit 2; migrate onto itself is exit 2", async () => {
    const store = freshStore("sqlite", "usage");
    const driver = store.open();
    await seedStore(driver, 1);
    await driver.close();
    const cursor = await runCli(["ls", store.url, "--cursor", "bogus"]);
    expect(cursor.code).toBe(2);
    expect(cursor.stderr).toContain("Invalid cursor");
    const self = await runCli(["migrate", store.url, store.url]);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain("same store");
  });

  it("one Ctrl-C ends tail -f cleanly (exit 0), even while it waits between polls", async () => {
    const store = freshStore("sqlite", "ctrlc");
    const driver = store.open();
    await seedStore(driver, 1);
    await driver.close();
    const tail = startCli(["tail", store.url, "ticket-0", "-f", "-n", "0", "--interval", "60000"]);
    await new Promise((r) => setTimeout(r, 2000));
    tail.kill("SIGINT");
    const result = await finished(tail, 30_000);
    expect(result.code).toBe(0); // one Ctrl-C ends a tail cleanly
  });

  // The built bin (`npm run build` makes dist/cli.js); the source runs everywhere above.
  it.skipIf(!existsSync(BUILT))("the built dist/cli.js runs as the package's bin", async () => {
    const store = freshStore("sqlite", "built");
    const driver = store.open();
    await seedStore(driver, 2);
    await driver.close();
    expect(readFileSync(BUILT, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; bin: Record<string, string> };
    expect(pkg.bin["durable-agent"]).toBe("./dist/cli.js");
    const versionRun = startCli(["--version"], undefined, BUILT);
    versionRun.stdin.end();
    expect((await finished(versionRun)).stdout.trim()).toBe(pkg.version);
    const ls = startCli(["ls", store.url, "--json"], undefined, BUILT);
    ls.stdin.end();
    const listed = await finished(ls);
    expect(listed.code, listed.stderr).toBe(0);
    expect(jsonOf<{ items: unknown[] }>(listed).items).toHaveLength(2);
  });
});
