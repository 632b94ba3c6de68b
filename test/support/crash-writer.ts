// Child process of the crash tests: writes the crash plan (crash-plan.ts) into the store
// named by argv (`sqlite <database file>`, `file <directory>` or `redis <JSON of url and
// keyPrefix>`) as fast as it can and
// prints each eventIndex once its write has been acknowledged (the insert's promise
// resolved). The test SIGKILLs it mid-stream. On Linux, writes to a pipe are synchronous in
// Node, so every printed line reaches the parent before the kill.
import type { PersistDriver } from "../../src/persist/persist-driver.js";
import { CRASH_SESSION_ID, crashEvent, crashPlan } from "./crash-plan.js";

const [kind, path] = process.argv.slice(2);
if ((kind !== "sqlite" && kind !== "file" && kind !== "redis") || !path) {
  throw new Error("usage: crash-writer sqlite <database file> | file <directory> | redis <JSON { url, keyPrefix }>");
}

async function open(): Promise<PersistDriver> {
  const target = path as string;
  if (kind === "sqlite") return new (await import("../../drivers/sqlite.js")).SQLiteSessionPersistDriver({ filename: target });
  if (kind === "file") return new (await import("../../drivers/file.js")).FileSessionPersistDriver({ directory: target });
  return new (await import("../../drivers/redis.js")).RedisSessionPersistDriver(JSON.parse(target) as { url: string; keyPrefix: string });
}

const driver = await open();
await driver.updateSession({
  id: CRASH_SESSION_ID,
  agent: "mock",
  agentSessionId: "agent-session",
  lastConnectionId: "conn-0",
  createdAt: 1_700_000_000_000,
});
process.stdout.write("ready\n");

for (const group of crashPlan()) {
  if (group.length === 1) {
    await driver.insertEvent(CRASH_SESSION_ID, crashEvent(group[0] as number));
  } else {
    await driver.insertEvents(CRASH_SESSION_ID, group.map(crashEvent));
  }
  process.stdout.write(`${group.join("\n")}\n`);
}
