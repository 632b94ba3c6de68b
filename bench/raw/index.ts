import type { RawEngine } from "../types.js";
import { rawFile } from "./file.js";
import { rawIndexedDb } from "./indexeddb.js";
import { rawPostgres } from "./postgres.js";
import { rawRedis } from "./redis.js";
import { rawSqlite } from "./sqlite.js";

/** Raw engines, by the `engine` name drivers declare. */
export const RAW_ENGINES: readonly RawEngine[] = [rawSqlite, rawPostgres, rawIndexedDb, rawRedis, rawFile];
