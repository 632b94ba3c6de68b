// Child process of test/unit/agent-state-crash.test.ts, run as
//   node --import tsx test/support/agent-state-crash-writer.ts <sqlite|file> <database file | directory>
// It writes one agent state file as fast as it can: a head line at offset 0, then lines
// appended at the stored size, every 25th write a replace (offset 0) with the whole content so
// far, and prints each line's number once its write was acknowledged (the promise resolved).
// The test SIGKILLs it mid-stream.
import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import type { PersistDriver } from "../../src/persist/persist-driver.js";
import { lineOf } from "./agent-state-lines.js";

const CRASH_SESSION = "crash";
const CRASH_PATH = "claude-code/projects/-work/crash.jsonl";

const [kind, target] = process.argv.slice(2);

async function open(): Promise<PersistDriver & AgentStateStorage> {
  if (kind === "sqlite") {
    return new (await import("../../drivers/sqlite.js")).SQLiteSessionPersistDriver({ filename: target! }) as PersistDriver & AgentStateStorage;
  }
  return new (await import("../../drivers/file.js")).FileSessionPersistDriver({ directory: target! }) as PersistDriver & AgentStateStorage;
}

if (kind === "sqlite" || kind === "file") {
  const driver = await open();
  const encoder = new TextEncoder();
  const lines: Uint8Array[] = [];
  let size = 0;
  process.stdout.write("ready\n");
  for (let n = 0; ; n++) {
    const line = encoder.encode(lineOf("w", n));
    lines.push(line);
    if (n % 25 === 0) {
      const whole = new Uint8Array(size + line.byteLength);
      let at = 0;
      for (const l of lines) {
        whole.set(l, at);
        at += l.byteLength;
      }
      await driver.appendAgentState(CRASH_SESSION, CRASH_PATH, 0, whole);
      size = whole.byteLength;
    } else {
      await driver.appendAgentState(CRASH_SESSION, CRASH_PATH, size, line);
      size += line.byteLength;
    }
    process.stdout.write(`${n}\n`);
  }
}
