import { redactCredentials } from "../src/transport/url.js";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";

// Store URLs as the CLI takes them: a scheme naming the backend, then where the data is and
// a few options in the query string. Credentials are never echoed: every form the CLI
// prints goes through `display`, which masks the user-info of server URLs.

/** Where a store is, parsed from its URL (see docs/cli.md for the forms). */
export type StoreLocation =
  | { kind: "sqlite"; display: string; filename: string; tablePrefix?: string }
  | { kind: "file"; display: string; directory: string; fsync: "always" | "never" }
  | { kind: "postgres"; display: string; connectionString: string; schema?: string; tablePrefix?: string; notify: boolean }
  | { kind: "redis"; display: string; url: string; keyPrefix?: string };

/** The kinds of store the CLI can open. */
export type StoreKind = StoreLocation["kind"];

const FORMS = "sqlite:./sessions.db, postgres://host/db, redis://host:6379, file:./sessions";

function badUrl(url: string, why: string): CliError {
  return new CliError("cli.bad_store_url", EXIT.usage, `bad store URL "${redactCredentials(url)}": ${why}`);
}

/** The query parameters of `query` the CLI knows for this kind; anything else is refused. */
function takeParams(url: string, query: URLSearchParams, known: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of query) {
    if (!known.includes(key)) {
      const allowed = known.length === 0 ? "none" : known.join(", ");
      throw badUrl(url, `unknown option "${key}" (options here: ${allowed})`);
    }
    if (out.has(key)) throw badUrl(url, `option "${key}" given twice`);
    out.set(key, value);
  }
  return out;
}

function flag(url: string, name: string, value: string | undefined): boolean {
  if (value === undefined || value === "false" || value === "0") return false;
  if (value === "true" || value === "1" || value === "") return true;
  throw badUrl(url, `option "${name}" must be true or false (got "${value}")`);
}

/** `sqlite:PATH` and `file:PATH`: the path after the scheme, `//` allowed before it (`sqlite:///abs/x.db`). */
function pathForm(url: string, scheme: string): { path: string; query: URLSearchParams } {
  let rest = url.slice(scheme.length);
  const q = rest.indexOf("?");
  const query = new URLSearchParams(q < 0 ? "" : rest.slice(q + 1));
  if (q >= 0) rest = rest.slice(0, q);
  if (rest.startsWith("//")) rest = rest.slice(2);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    throw badUrl(url, "the path has a malformed %-escape");
  }
  if (rest === "") throw badUrl(url, `no path after "${scheme}" (e.g. ${scheme}./sessions${scheme === "sqlite:" ? ".db" : ""})`);
  if (rest.includes("\0")) throw badUrl(url, "the path contains a NUL character");
  return { path: rest, query };
}

/** The server URL with the CLI's own options taken out of its query string. */
function serverForm(url: string, own: readonly string[]): { parsed: URL; own: Map<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badUrl(url, "not a valid URL");
  }
  const mine = new Map<string, string>();
  for (const key of own) {
    const values = parsed.searchParams.getAll(key);
    if (values.length > 1) throw badUrl(url, `option "${key}" given twice`);
    if (values[0] !== undefined) mine.set(key, values[0]);
    parsed.searchParams.delete(key);
  }
  return { parsed, own: mine };
}

/**
 * Parse a store URL.
 * @throws CliError (`cli.bad_store_url`, exit 2) naming what is wrong: an unknown or
 * unsupported scheme (IndexedDB and memory stores say why), a missing path, an unknown option.
 */
export function parseStoreUrl(url: string): StoreLocation {
  const display = redactCredentials(url);
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "sqlite": {
      const { path, query } = pathForm(url, url.slice(0, 7));
      if (path === ":memory:") throw badUrl(url, "an in-memory SQLite database is gone when the command ends; name a file");
      const params = takeParams(url, query, ["prefix"]);
      return { kind: "sqlite", display, filename: path, ...optional("tablePrefix", params.get("prefix")) };
    }
    case "file": {
      const { path, query } = pathForm(url, url.slice(0, 5));
      const params = takeParams(url, query, ["fsync"]);
      const fsync = params.get("fsync") ?? "always";
      if (fsync !== "always" && fsync !== "never") throw badUrl(url, `option "fsync" must be always or never (got "${fsync}")`);
      return { kind: "file", display, directory: path, fsync };
    }
    case "postgres":
    case "postgresql": {
      const { parsed, own } = serverForm(url, ["schema", "prefix", "notify"]);
      if (parsed.hostname === "" && !parsed.searchParams.has("host")) throw badUrl(url, "no host (e.g. postgres://user@localhost:5432/db)");
      return {
        kind: "postgres",
        display,
        connectionString: parsed.toString(),
        notify: flag(url, "notify", own.get("notify")),
        ...optional("schema", own.get("schema")),
        ...optional("tablePrefix", own.get("prefix")),
      };
    }
    case "redis":
    case "rediss": {
      const { parsed, own } = serverForm(url, ["prefix"]);
      if (parsed.hostname === "") throw badUrl(url, "no host (e.g. redis://localhost:6379)");
      return { kind: "redis", display, url: parsed.toString(), ...optional("keyPrefix", own.get("prefix")) };
    }
    case "indexeddb":
    case "idb":
      throw badUrl(
        url,
        "IndexedDB lives inside a browser and the CLI runs in Node, so it cannot open it; " +
          "export the sessions from the browser app (listSessions/listEvents) and import them here, or use another store",
      );
    case "memory":
      throw badUrl(url, "a memory store is empty when the command starts and gone when it ends; name a persistent store");
    case undefined:
      throw badUrl(url, `no scheme; store URLs look like ${FORMS}`);
    default:
      throw badUrl(url, `unknown scheme "${scheme}:"; store URLs look like ${FORMS}`);
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
