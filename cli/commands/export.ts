import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Writable } from "node:stream";
import type { SessionRecord } from "../../src/persist/types.js";
import { withStore, type CommandContext } from "../context.js";
import { CliError, notFoundError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import type { AgentStateStorage } from "../../src/persist/agent-state.js";
import { agentStateOf, formatBytes, writeOrder } from "../agent-state.js";
import { agentStateLines, EXPORT_HEADER, eventLine, sessionLine } from "../export-format.js";
import type { StoreDriver } from "../open-store.js";
import { allSessions, eventPages } from "../walk.js";

/** Options of `export`. */
export interface ExportOptions {
  /** Write to this file (atomically: a temporary file renamed at the end) instead of stdout. */
  output?: string;
}

/** Totals of an export. */
export interface ExportTotals {
  /** Sessions written. */
  sessions: number;
  /** Events written. */
  events: number;
  /** Agent state files written, and their bytes. */
  agentState: { files: number; bytes: number };
}

/**
 * `export <store> [ids...]`: sessions as JSONL (docs/cli.md): every session, or those named,
 * each record followed by its events and its agent state files. Canonical JSON, so equal data
 * exports to equal bytes.
 */
export async function exportCommand(url: string, ids: string[], options: ExportOptions, ctx: CommandContext): Promise<void> {
  const { out } = ctx;
  await withStore(url, "read", async (store) => {
    // Named sessions are all checked before anything is written.
    const named: SessionRecord[] = [];
    for (const id of ids) {
      const record = await store.driver.getSession(id);
      if (!record) throw notFoundError(store.display, id);
      named.push(record);
    }
    const records: AsyncIterable<SessionRecord> | SessionRecord[] = ids.length > 0 ? named : allSessions(store.driver);
    if (options.output === undefined) {
      await writeExport(store.driver, records, process.stdout, ctx);
      return;
    }
    const temporary = `${options.output}.tmp-${process.pid}`;
    const file = createWriteStream(temporary);
    let totals: ExportTotals;
    try {
      totals = await writeExport(store.driver, records, file, ctx);
      await new Promise<void>((resolve, reject) => file.end((error?: Error | null) => (error ? reject(error) : resolve())));
      await rename(temporary, options.output);
    } catch (error) {
      file.destroy();
      await rm(temporary, { force: true });
      throw error;
    }
    out.result({ store: store.display, file: options.output, ...totals });
    const files = totals.agentState.files > 0 ? `, ${totals.agentState.files} agent state file(s) (${formatBytes(totals.agentState.bytes)})` : "";
    out.line(`exported ${totals.sessions} session(s), ${totals.events} event(s)${files} from ${store.display} to ${options.output}`);
  });
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once("drain", resolve));
}

/** Write the export of `records` to `stream`. */
async function writeExport(
  driver: StoreDriver,
  records: AsyncIterable<SessionRecord> | SessionRecord[],
  stream: Writable,
  { signal }: CommandContext,
): Promise<ExportTotals> {
  const totals: ExportTotals = { sessions: 0, events: 0, agentState: { files: 0, bytes: 0 } };
  const storage = agentStateOf(driver);
  await write(stream, `${JSON.stringify(EXPORT_HEADER)}\n`);
  for await (const record of records) {
    if (signal.aborted) throw new CliError("cli.interrupted", EXIT.interrupted, "interrupted: the export is incomplete");
    await write(stream, `${sessionLine(record)}\n`);
    totals.sessions += 1;
    for await (const page of eventPages(driver, record.id)) {
      await write(stream, page.map((event) => `${eventLine(event)}\n`).join(""));
      totals.events += page.length;
    }
    if (storage) await writeFiles(storage, record.id, stream, totals);
  }
  return totals;
}

/** Write the agent state files of one session, the manifest last, each file's lines in order. */
async function writeFiles(storage: AgentStateStorage, sessionId: string, stream: Writable, totals: ExportTotals): Promise<void> {
  for (const { path } of writeOrder(await storage.listAgentState(sessionId))) {
    const data = await storage.readAgentState(sessionId, path);
    // Deleted since it was listed.
    if (data === undefined) continue;
    for (const line of agentStateLines(sessionId, path, data)) await write(stream, `${line}\n`);
    totals.agentState.files += 1;
    totals.agentState.bytes += data.length;
  }
}
