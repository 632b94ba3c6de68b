import type { SessionRecord } from "../../src/persist/types.js";
import { withStore, type CommandContext } from "../context.js";
import { lastEventIndex } from "../walk.js";

/** Options of `ls`. */
export interface LsOptions {
  /** Sessions per page. */
  limit: number;
  /** The page to show: the `next` cursor a previous `ls` printed. */
  cursor?: string;
}

/** A listed session: its record and the index of its last event (-1: none). */
interface Listed {
  record: SessionRecord;
  lastEventIndex: number;
}

/** `ls <store>`: one page of sessions, oldest first, with the cursor of the next page. */
export async function lsCommand(url: string, options: LsOptions, { out }: CommandContext): Promise<void> {
  await withStore(url, "read", async (store) => {
    const page = await store.driver.listSessions({ limit: options.limit, ...(options.cursor ? { cursor: options.cursor } : {}) });
    const items: Listed[] = [];
    for (const record of page.items) items.push({ record, lastEventIndex: await lastEventIndex(store.driver, record.id) });
    out.result({ store: store.display, items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
    if (items.length === 0) {
      out.line(options.cursor ? "(no more sessions)" : `(no sessions in ${store.display})`);
      return;
    }
    const rows = items.map(({ record, lastEventIndex: last }) => [
      record.id,
      record.agent,
      new Date(record.createdAt).toISOString(),
      last < 0 ? "-" : `#${last}`,
      record.destroyedAt === undefined ? "" : `destroyed ${new Date(record.destroyedAt).toISOString()}`,
    ]);
    for (const line of table(["ID", "AGENT", "CREATED", "LAST EVENT", ""], rows)) out.line(line);
    if (page.nextCursor) out.line(`\nmore: durable-agent ls ${quote(store.display)} --cursor ${page.nextCursor}`);
  });
}

/** Rows as aligned columns. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [format(header), ...rows.map(format)];
}

/** A shell word for `text`. */
export function quote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
