import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { CRASH_SESSION_ID, crashEvent, crashPlan } from "./sqlite-crash-plan.js";

// Child process of the SQLite crash test: writes the crash plan into the file named by
// argv[2] as fast as it can and prints each eventIndex once its write has been acknowledged
// (the insert's promise resolved). The test SIGKILLs it mid-stream. On Linux, writes to a
// pipe are synchronous in Node, so every printed line reaches the parent before the kill.

const filename = process.argv[2];
if (!filename) throw new Error("usage: sqlite-crash-writer <database file>");

const driver = new SQLiteSessionPersistDriver({ filename });
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
