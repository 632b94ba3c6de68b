import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, it } from "vitest";
import { lineOf, wholeLines } from "../support/agent-state-lines.js";
import type { AgentStateStoreSpec, AgentStateWorkerArgs, AgentStateWorkerReport } from "../support/agent-state-worker.js";
import { postgresUrl, schemasDroppedAfterAll } from "../support/postgres.js";
import { openSharedStore as openStore } from "../support/shared-stores.js";
import { spawnWorkers } from "../support/postgres-workers.js";
import { prefixesRemovedAfterAll, redisUrl } from "../support/redis.js";

// Agent state appends racing across processes, on every backend processes can share
// (PostgreSQL, Redis, an SQLite file, a file store): writers append lines to one file, each
// at the size it last saw, retrying from the stored size when refused; a reader process reads
// all along. Every line must land exactly once and whole, in each writer's order, and no read
// may ever see half an append.

const WORKER = fileURLToPath(new URL("../support/agent-state-worker.ts", import.meta.url));

const freshSchema = schemasDroppedAfterAll();
const freshPrefix = prefixesRemovedAfterAll();
const dir = mkdtempSync(join(tmpdir(), "durable-agent-agent-state-processes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

type Backend = AgentStateStoreSpec["kind"];

function freshStore(kind: Backend): AgentStateStoreSpec {
  switch (kind) {
    case "postgres":
      return { kind, url: postgresUrl(), schema: freshSchema("agentstate") };
    case "redis":
      return { kind, url: redisUrl(), keyPrefix: freshPrefix("agentstate") };
    case "sqlite":
      return { kind, filename: join(dir, `agent-state-${++counter}.db`) };
    case "file":
      return { kind, directory: join(dir, `store-${++counter}`) };
  }
}

const LINES = 40;

async function race(kind: Backend, writers: number): Promise<void> {
  const store = freshStore(kind);
  const base = { store, sessionId: "racing", path: "claude-code/projects/-work/t.jsonl" };
  // The file exists before the race (the first write of a transcript is a replace at 0).
  const setup = await openStore(store);
  await setup.appendAgentState(base.sessionId, base.path, 0, new TextEncoder().encode(lineOf("head", 0)));
  await setup.close();

  const argsList: AgentStateWorkerArgs[] = [
    ...Array.from({ length: writers }, (_, w): AgentStateWorkerArgs => ({ ...base, name: `w${w}`, mode: "append", lines: LINES })),
    { ...base, name: "reader", mode: "read", reads: 150 },
  ];
  const reports = (await spawnWorkers(WORKER, argsList)) as AgentStateWorkerReport[];
  for (const [i, report] of reports.entries()) assert.ok(report.ok, `${argsList[i]!.name}: ${report.error}`);

  const check = await openStore(store);
  try {
    const text = new TextDecoder().decode(await check.readAgentState(base.sessionId, base.path));
    assert.ok(wholeLines(text), "the file is whole lines");
    const lines = text.slice(0, -1).split("\n").map((line) => line.split(" ").slice(0, 2).join(" "));
    assert.equal(lines[0], "head 0");
    for (let w = 0; w < writers; w++) {
      const mine = lines.filter((line) => line.startsWith(`w${w} `));
      assert.deepEqual(mine, Array.from({ length: LINES }, (_, n) => `w${w} ${n}`), `writer ${w}: each line once, in order`);
    }
    assert.equal(lines.length, 1 + writers * LINES);
    const [info] = await check.listAgentState(base.sessionId);
    assert.equal(info?.size, new TextEncoder().encode(text).byteLength, "the listed size is the stored size");
    const refused = reports.reduce((sum, r) => sum + (r.refused ?? 0), 0);
    // The writers really raced (an append was refused because another landed first) on a busy or idle machine alike.
    assert.ok(refused > 0, `some appends were refused: ${refused}`);
  } finally {
    await check.close();
  }
}

describe("agent state appends racing across processes", () => {
  for (const kind of ["sqlite", "file", "postgres", "redis"] as const) {
    it(`${kind}: 3 writer processes and a reader: every line once and whole, no partial read`, async () => {
      await race(kind, 3);
    }, 120_000);
  }
});
