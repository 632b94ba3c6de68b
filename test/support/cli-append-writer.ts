// A separate writer process for the `tail -f` tests: appends events to a session one at a
// time, with a pause between them, through the store's own driver, then exits.
// argv: <json {kind, where, url}> <sessionId> <count> <pauseMs>
import { FileSessionPersistDriver } from "../../drivers/file.js";
import { PostgresSessionPersistDriver } from "../../drivers/postgres.js";
import { RedisSessionPersistDriver } from "../../drivers/redis.js";
import { SQLiteSessionPersistDriver } from "../../drivers/sqlite.js";
import type { PersistDriver } from "../../src/persist/persist-driver.js";

interface Target {
  kind: "sqlite" | "postgres" | "redis" | "file";
  where: string;
  /** The server URL (PostgreSQL, Redis). */
  url?: string;
  /** PostgreSQL: signal followers. */
  notify?: boolean;
}

const [spec, sessionId, countText, pauseText] = process.argv.slice(2);
const target = JSON.parse(spec!) as Target;
const count = Number(countText);
const pause = Number(pauseText);

function open(): PersistDriver {
  switch (target.kind) {
    case "sqlite":
      return new SQLiteSessionPersistDriver({ filename: target.where });
    case "file":
      return new FileSessionPersistDriver({ directory: target.where, fsync: "never" });
    case "postgres":
      return new PostgresSessionPersistDriver({ connectionString: target.url, schema: target.where, notify: target.notify === true });
    case "redis":
      return new RedisSessionPersistDriver({ url: target.url, keyPrefix: target.where });
  }
}

const driver = open();
const [last] = await driver.listLatestEvents(sessionId!, 1);
let index = (last?.eventIndex ?? -1) + 1;
for (let i = 0; i < count; i++, index++) {
  await driver.insertEvent(sessionId!, {
    id: `${sessionId}-live-${index}`,
    eventIndex: index,
    sessionId: sessionId!,
    createdAt: Date.now(),
    connectionId: "live",
    sender: "agent",
    payload: {
      jsonrpc: "2.0",
      method: "session/update",
      params: { sessionId: "agent", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: `live ${i} ✓` } } },
    },
  });
  await new Promise((resolve) => setTimeout(resolve, pause));
}
await driver.close();
