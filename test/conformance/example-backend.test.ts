import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "vitest";
import { describeDriverConformance } from "../../src/testing.js";
import { JsonMapSessionPersistDriver } from "../support/example-backend.js";

// The example backend of docs/writing-a-driver.md passes the whole suite, every capability
// included, and the guide shows this very file.
describeDriverConformance({
  name: "JsonMapSessionPersistDriver (the guide's example backend)",
  createDriver: () => new JsonMapSessionPersistDriver(),
  disposeDriver: (driver) => driver.close(),
  test: { describe, it, beforeEach, afterEach },
});

describe("docs/writing-a-driver.md", () => {
  it("shows test/support/example-backend.ts verbatim (with the package's import path)", () => {
    const root = join(import.meta.dirname, "../..");
    const source = readFileSync(join(root, "test/support/example-backend.ts"), "utf8").replace(
      '"../../src/driver.js"',
      '"durable-agent/driver"',
    );
    const guide = readFileSync(join(root, "docs/writing-a-driver.md"), "utf8");
    const blocks = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
    assert.ok(blocks.includes(source), "a ```ts block of the guide equals the example file");
  });
});
