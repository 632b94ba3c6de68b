import { defineConfig } from "tsup";

// One entry per public subpath. Driver client libraries stay external so that
// a bundle importing `durable-agent` never pulls in `pg` or `better-sqlite3`.
const entry = {
  index: "src/index.ts",
  testing: "src/testing.ts",
  "drivers/sqlite": "drivers/sqlite.ts",
};

export default defineConfig([
  {
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "es2022",
    splitting: true,
    external: ["better-sqlite3", "pg", "idb", "ws", "vitest"],
  },
  {
    entry,
    format: ["cjs"],
    dts: true,
    sourcemap: true,
    target: "es2022",
    // The ACP SDK ships ESM only; the CommonJS build carries its own copy.
    noExternal: ["@agentclientprotocol/sdk"],
    external: ["better-sqlite3", "pg", "idb", "ws", "vitest"],
  },
]);
