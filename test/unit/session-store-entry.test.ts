import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The Claude Agent SDK is an optional peer dependency that only the session stores use: the
// built `durable-agent/sqlite` and `durable-agent/postgres` never import it up front, their
// drivers work where it is not installed, and so does a store given its own fold (a store that
// needs the SDK's fold says so). Checked on the built package (npm test builds it first), in
// child processes where the SDK cannot be resolved.

const root = join(import.meta.dirname, "../..");
const dist = join(root, "dist");
const SDK = "@anthropic-ai/claude-agent-sdk";

// Module hooks that make the SDK unresolvable: an ESM resolve hook, and a CommonJS resolver patch.
const blockEsm = `data:text/javascript,${encodeURIComponent(
  `import { register } from "node:module";
   register("data:text/javascript," + encodeURIComponent(\`export async function resolve(s, c, next) {
     if (s.startsWith("${SDK}")) { const e = new Error("Cannot find package '${SDK}'"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; }
     return next(s, c);
   }\`));`,
)}`;
const blockCjs = `const M = require("module"); const resolve = M._resolveFilename;
  M._resolveFilename = function (request, ...rest) {
    if (request.startsWith("${SDK}")) { const e = new Error("Cannot find module '${SDK}'"); e.code = "MODULE_NOT_FOUND"; throw e; }
    return resolve.call(this, request, ...rest);
  };`;

/** What the child reports: the driver works, a subpath append and a store with its own fold work, a main append without the SDK fails saying why. */
const script = `
  const d = new m.SQLiteSessionPersistDriver({ filename: ":memory:" });
  await d.updateSession({ id: "s", agent: "a", agentSessionId: "x", lastConnectionId: "c", createdAt: 1 });
  const store = new m.SQLiteSessionStore({ filename: ":memory:" });
  await store.append({ projectKey: "p", sessionId: "s", subpath: "subagents/a" }, [{ type: "x", uuid: "1" }]);
  const failure = await store.append({ projectKey: "p", sessionId: "s" }, [{ type: "x" }]).then(() => "stored", (e) => e.message);
  const own = new m.SQLiteSessionStore({ filename: ":memory:", foldSessionSummary: (prev, key, entries) => ({ sessionId: key.sessionId, mtime: 0, data: { n: entries.length } }) });
  await own.append({ projectKey: "p", sessionId: "s" }, [{ type: "x" }]);
  console.log(JSON.stringify({ driver: (await d.getSession("s")).id, sub: (await store.load({ projectKey: "p", sessionId: "s", subpath: "subagents/a" })).length, failure, own: (await own.listSessionSummaries("p"))[0].data }));
`;

function child(args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: "utf8" }).trim()) as Record<string, unknown>;
}

describe("the SDK as an optional peer of durable-agent/sqlite and durable-agent/postgres", () => {
  it("is never imported up front by the built entries (only by the first summary fold, on demand)", () => {
    expect(existsSync(join(dist, "drivers/sqlite.js")), "run `npx tsup` before this suite").toBe(true);
    const files = [...readdirSync(dist).map((f) => join(dist, f)), ...readdirSync(join(dist, "drivers")).map((f) => join(dist, "drivers", f))].filter(
      (f) => /\.(c?js)$/.test(f),
    );
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).not.toMatch(new RegExp(`(from\\s*|import\\s*\\(\\s*|require\\(\\s*)["']${SDK}`));
    }
  });

  it("is not needed by the driver, a subpath append or a store given its fold; a summary fold without it says what to install (ESM)", () => {
    const result = child(["--import", blockEsm, "--input-type=module", "-e", `const m = await import("durable-agent/sqlite"); ${script}`]);
    expect(result).toMatchObject({ driver: "s", sub: 1, own: { n: 1 } });
    expect(result.failure).toMatch(new RegExp(`${SDK}.*(install|foldSessionSummary)`));
  });

  it("the same from CommonJS", () => {
    const result = child(["-e", `${blockCjs}; (async () => { const m = require("durable-agent/sqlite"); ${script} })()`]);
    expect(result).toMatchObject({ driver: "s", sub: 1, own: { n: 1 } });
    expect(result.failure).toMatch(new RegExp(`${SDK}.*(install|foldSessionSummary)`));
  });

  it("is loaded on the first summary fold where it is installed (ESM and CommonJS)", () => {
    const run = `const s = new m.SQLiteSessionStore({ filename: ":memory:" });
      await s.append({ projectKey: "p", sessionId: "s" }, [{ type: "user", uuid: "1", message: { role: "user", content: "hi" } }]);
      console.log(JSON.stringify((await s.listSessionSummaries("p"))[0].data));`;
    expect(child(["--input-type=module", "-e", `const m = await import("durable-agent/sqlite"); ${run}`])).toMatchObject({ firstPrompt: "hi" });
    expect(child(["-e", `(async () => { const m = require("durable-agent/sqlite"); ${run} })()`])).toMatchObject({ firstPrompt: "hi" });
  });
});
