import { readdirSync, readFileSync } from "node:fs";
import { defineConfig } from "tsup";

// One entry per public subpath: the client, the driver kit, the conformance suite, encryption at rest, and every
// file directly under drivers/ (each a backend with its own subpath export). Driver client
// libraries stay external, so a bundle that imports `durable-agent` never pulls in `pg` or
// `better-sqlite3`.
const entry: Record<string, string> = {
  index: "src/index.ts",
  driver: "src/driver.ts",
  testing: "src/testing.ts",
  encryption: "src/encryption.ts",
};
for (const file of readdirSync("drivers")) {
  if (file.endsWith(".ts")) entry[`drivers/${file.slice(0, -3)}`] = `drivers/${file}`;
}

const external = ["better-sqlite3", "pg", "idb", "ws", "ioredis", "rivetkit", /^rivetkit\//];

// The package's version, for the `clientInfo` the client sends in ACP `initialize`.
const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
const define = { __DURABLE_AGENT_VERSION__: JSON.stringify(version) };

// Members marked `@internal` are left out of the published declarations.
const dts = { compilerOptions: { stripInternal: true } };

// The operator CLI (`bin` durable-agent): ESM only, beside the ESM entries so it shares their
// chunks. Its source starts with a shebang, which esbuild keeps and tsup marks executable.
const esmEntry = { ...entry, cli: "cli/main.ts" };

export default defineConfig([
  { entry: esmEntry, format: ["esm"], dts, sourcemap: true, clean: true, target: "es2022", splitting: true, external, define },
  {
    entry,
    format: ["cjs"],
    dts,
    sourcemap: true,
    target: "es2022",
    // Shared chunks in CommonJS too: one copy of each error class, so `instanceof` holds
    // across `durable-agent` and `durable-agent/<driver>`.
    splitting: true,
    // The ACP SDK ships ESM only; the CommonJS build carries its own copy of it.
    noExternal: ["@agentclientprotocol/sdk"],
    external,
    define,
  },
]);
