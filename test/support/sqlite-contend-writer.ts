import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import { EventConflictError, type SessionEvent } from "../../src/persist/index.js";

// Child process of the SQLite multi-process test: opens the file named by argv[2] (maybe
// at the same moment as its siblings, so migrations race), writes its own session, then
// races its siblings for the eventIndexes of one shared session. Prints a JSON summary.

const [filename, name] = process.argv.slice(2);
if (!filename || !name) throw new Error("usage: sqlite-contend-writer <database file> <writer name>");

const CONTESTED = 50;

const event = (sessionId: string, eventIndex: number, id: string): SessionEvent => ({
  id,
  eventIndex,
  sessionId,
  createdAt: 1_700_000_000_000 + eventIndex,
  connectionId: name,
  sender: "agent",
  payload: { jsonrpc: "2.0", method: "session/update", params: { writer: name, eventIndex } },
});

const driver = new SQLiteSessionPersistDriver({ filename });
const own = `own-${name}`;
await driver.insertEvents(own, Array.from({ length: 100 }, (_, i) => event(own, i, `${own}/${i}`)));
for (let i = 100; i < 200; i++) await driver.insertEvent(own, event(own, i, `${own}/${i}`));

const won: number[] = [];
let conflicts = 0;
for (let i = 0; i < CONTESTED; i++) {
  try {
    await driver.insertEvent("shared", event("shared", i, `shared/${name}/${i}`));
    won.push(i);
  } catch (error) {
    if (!(error instanceof EventConflictError) || error.reason !== "eventIndex") throw error;
    conflicts++;
  }
}
await driver.close();
process.stdout.write(`${JSON.stringify({ name, won, conflicts })}\n`);
