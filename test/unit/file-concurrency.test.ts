import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "vitest";
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { assertAppended, runAppendWorkers } from "../support/append-workers.js";

// Four processes at once on one directory: the write lock serializes their writes, so a lost
// race is an EventConflictError and never a duplicate, a gap or an interleaved line.

const WORKERS = 4;
const root = mkdtempSync(join(tmpdir(), "durable-agent-file-conc-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("FileSessionPersistDriver across processes", () => {
  it("keeps eventIndex gapless and unique when 4 processes append to one session and to their own", async () => {
    const directory = join(root, "store");
    const count = 150;
    const results = await runAppendWorkers(
      Array.from({ length: WORKERS }, (_, worker) => ({
        driver: { kind: "file" as const, directory },
        worker,
        count,
        sharedSession: "shared",
        ownSession: `own-${worker}`,
      })),
    );
    const driver = new FileSessionPersistDriver({ directory });
    try {
      await assertAppended(driver, results, WORKERS, count);
    } finally {
      await driver.close();
    }
  }, 120_000);
});
