// The CLI on sessions recorded for real: the client drives the sandbox-agent runtime and its
// scripted agent ("mock") into a PostgreSQL store with notify on, while `tail -f` follows the
// session live; then show, verify and a migration to SQLite read what the recorder wrote.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRuntime, type RuntimeHandle } from "../../harness/index.js";
import { SandboxAgent } from "../../src/index.js";
import { finished, jsonOf, printed, runCli, startCli, testStores } from "../support/cli.js";

const freshStore = testStores();

describe("durable-agent CLI on sessions recorded through the real runtime", () => {
  let runtime: RuntimeHandle;
  beforeAll(async () => {
    runtime = await startRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it("tail -f follows a live session; show, verify and migrate read what the recorder stored", async () => {
    const store = freshStore("postgres", "recorded");
    const persist = store.open({ notify: true });
    const sdk = await SandboxAgent.connect({ baseUrl: runtime.baseUrl, token: runtime.token, persist });
    let tail: ReturnType<typeof startCli> | undefined;
    try {
      const session = await sdk.createSession({ id: "live-1", agent: "mock" });
      await session.prompt("first question: what is 2 + 2?");
      tail = startCli(["tail", store.url, "live-1", "-f", "-n", "1", "--json"]);
      const lines = () => printed(tail!).stdout.split("\n").filter((l) => l !== "");
      for (let i = 0; i < 600 && lines().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(lines().length, printed(tail).stderr).toBe(1);
      await session.prompt("second question, with unicode: café ✓ 🚀");
      const stored = await persist.listLatestEvents("live-1", 1000);
      const lastIndex = stored[stored.length - 1]!.eventIndex;
      for (let i = 0; i < 600; i++) {
        const last = lines().at(-1);
        if (last && (JSON.parse(last) as { eventIndex: number }).eventIndex === lastIndex) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      tail.kill("SIGINT");
      const ended = await finished(tail, 30_000);
      expect(ended.code, ended.stderr).toBe(0);
      const followed = lines().map((l) => (JSON.parse(l) as { eventIndex: number }).eventIndex);
      const firstFollowed = followed[0]!;
      expect(followed).toEqual(stored.filter((e) => e.eventIndex >= firstFollowed).map((e) => e.eventIndex));
      expect(printed(tail).stdout).toContain("café ✓ 🚀");
    } finally {
      tail?.kill("SIGKILL");
      await sdk.dispose();
      await persist.close();
    }

    const show = await runCli(["show", store.url, "live-1"]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("user: first question: what is 2 + 2?");
    expect(show.stdout).toContain("user: second question, with unicode: café ✓ 🚀");
    expect(show.stdout).toMatch(/agent: .+/);

    const verify = await runCli(["verify", store.url, "--json"]);
    expect(verify.code, verify.stdout).toBe(0);

    const target = freshStore("sqlite", "recorded-copy");
    const migrated = await runCli(["migrate", store.url, target.url, "--json"]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(jsonOf<{ verify: { mismatches: unknown[] } }>(migrated).verify.mismatches).toEqual([]);
    expect((await runCli(["export", target.url])).stdout).toBe((await runCli(["export", store.url])).stdout);
  });
});
