import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Checks the built package (npm test builds it first) the way users load it: by its name,
// through the subpath exports, from ESM and from CommonJS.
const root = join(import.meta.dirname, "../..");
const dist = join(root, "dist");
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim();

describe("the built package", () => {
  it("exists (run `npx tsup` before this suite)", () => {
    expect(existsSync(join(dist, "index.js"))).toBe(true);
  });

  it.each([
    ["durable-agent", "SandboxAgent"],
    ["durable-agent", "InMemorySessionPersistDriver"],
    ["durable-agent/sqlite", "SQLiteSessionPersistDriver"],
    ["durable-agent/sqlite", "SQLiteSessionStore"],
    ["durable-agent/postgres", "PostgresSessionPersistDriver"],
    ["durable-agent/postgres", "PostgresSessionStore"],
    ["durable-agent/indexeddb", "IndexedDbSessionPersistDriver"],
    ["durable-agent/redis", "RedisSessionPersistDriver"],
    ["durable-agent/redis", "RedisSessionStore"],
    ["durable-agent/file", "FileSessionPersistDriver"],
    ["durable-agent/file", "FileSessionStore"],
    ["durable-agent/testing", "describeDriverConformance"],
    ["durable-agent/testing", "describeSessionStoreConformance"],
    ["durable-agent/driver", "PersistDriver"],
    ["durable-agent/driver", "parseSessionEvent"],
    ["durable-agent/driver", "insertEventsVia"],
    ["durable-agent/encryption", "encryptedPersistDriver"],
    ["durable-agent/encryption", "encryptedSessionStore"],
    ["durable-agent/encryption", "DecryptionFailedError"],
    ["durable-agent", "redactSecrets"],
    ["durable-agent", "redactingSessionStore"],
  ])("%s exports %s from ESM and CommonJS", (specifier, name) => {
    expect(node(["--input-type=module", "-e", `import * as m from "${specifier}"; console.log(typeof m.${name})`])).toBe("function");
    expect(node(["-e", `console.log(typeof require("${specifier}").${name})`])).toBe("function");
  });

  it("shares one copy of each error class between entries, in ESM and in CommonJS", () => {
    const check = `const e = await d.insertEvent("s", { id: "x" }).catch((error) => error); console.log(e instanceof core.PersistValidationError)`;
    expect(
      node(["--input-type=module", "-e", `import * as core from "durable-agent"; import { SQLiteSessionPersistDriver } from "durable-agent/sqlite"; const d = new SQLiteSessionPersistDriver({ filename: ":memory:" }); ${check}`]),
    ).toBe("true");
    expect(
      node(["-e", `(async () => { const core = require("durable-agent"); const { SQLiteSessionPersistDriver } = require("durable-agent/sqlite"); const d = new SQLiteSessionPersistDriver({ filename: ":memory:" }); ${check} })()`]),
    ).toBe("true");
  });

  it("keeps driver-author tools out of the app entry, in durable-agent/driver, one copy of the kit for every driver", () => {
    const moved = ["parseSessionEvent", "sessionEventSchema", "encodeEventCursor", "compareCodePoints", "insertEventsVia", "dedupeBatch", "PersistDriver"];
    const script = (load: (specifier: string) => string) =>
      `${load("durable-agent")}; ${load("durable-agent/driver")}; ${load("durable-agent/sqlite")};` +
      `console.log(JSON.stringify([${JSON.stringify(moved)}.filter((n) => n in m0), ${JSON.stringify(moved)}.filter((n) => !(n in m1)),` +
      ` Object.getPrototypeOf(m2.SQLiteSessionPersistDriver) === m1.LeasingPersistDriver, new m0.InMemorySessionPersistDriver() instanceof m1.PersistDriver]))`;
    let i = 0;
    const esm = node(["--input-type=module", "-e", script((specifier) => `const m${i++} = await import("${specifier}")`)]);
    i = 0;
    const cjs = node(["-e", script((specifier) => `const m${i++} = require("${specifier}")`)]);
    for (const output of [esm, cjs]) expect(JSON.parse(output)).toEqual([[], [], true, true]);
  });

  it("publishes declarations without @internal members, and the app entry's without zod types", () => {
    /** Every declaration file `entry` pulls in through relative imports, itself included. */
    const closure = (entry: string): Map<string, string> => {
      const files = new Map<string, string>();
      const visit = (file: string) => {
        if (files.has(file)) return;
        const text = readFileSync(join(dist, file), "utf8");
        files.set(file, text);
        const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
        for (const match of text.matchAll(/from ['"](\.\.?\/[^'"]+)['"]/g)) {
          visit(join(dir, match[1]!).replace(/\.c?js$/, file.endsWith(".d.cts") ? ".d.cts" : ".d.ts"));
        }
      };
      visit(entry);
      return files;
    };
    // A constructor parameter keeps its comment (stripInternal removes members, not parameters).
    const members = (text: string) => text.replace(/constructor\([^;]*\);/g, "constructor();");
    for (const entry of ["index.d.ts", "index.d.cts", "driver.d.ts", "testing.d.ts", "encryption.d.ts", "encryption.d.cts", "drivers/sqlite.d.ts", "drivers/postgres.d.ts", "drivers/indexeddb.d.ts"]) {
      for (const [file, text] of closure(entry)) expect(members(text), `${file} (from ${entry})`).not.toMatch(/@internal/);
    }
    const app = closure("index.d.ts");
    expect(app.size).toBeGreaterThan(1);
    for (const [file, text] of app) expect(text, file).not.toMatch(/from ['"]zod/);
  });

  it("keeps driver client libraries out of the main entry", () => {
    const mainFiles = ["index.js", ...readdirSync(dist).filter((f) => f.startsWith("chunk-") && f.endsWith(".js"))];
    const imported = new Set<string>();
    for (const file of mainFiles) {
      for (const match of readFileSync(join(dist, file), "utf8").matchAll(/from\s+["']([^"'.][^"']*)["']/g)) imported.add(match[1]!);
    }
    for (const library of ["pg", "better-sqlite3", "idb", "ws"]) expect(imported.has(library)).toBe(false);
  });

  it("ships type declarations for every subpath", () => {
    for (const file of ["index.d.ts", "index.d.cts", "driver.d.ts", "driver.d.cts", "testing.d.ts", "drivers/sqlite.d.ts", "drivers/postgres.d.ts", "drivers/indexeddb.d.ts"]) {
      expect(existsSync(join(dist, file))).toBe(true);
    }
  });
});
