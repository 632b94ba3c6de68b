import { PersistValidationError } from "../../src/persist/errors.js";

// pg reads a connection string only when its first client connects, and then reads almost
// anything: a bare word or a libpq `key=value` string becomes a database name on a host
// called "base" (it is resolved as a relative URL), an `http://` URL is taken for a
// PostgreSQL one, and a malformed URL throws an untyped TypeError from inside the pool.
// This check runs at construction instead: it accepts the forms pg documents, provided pg
// can parse them (the same steps as pg-connection-string, held to it by a unit test), and
// refuses the rest with a typed error that never repeats the string (it may hold a password).

const PATH = "options.connectionString";
const EXAMPLE = "postgres://user:password@host:5432/database";

function refuse(message: string): never {
  throw new PersistValidationError("PostgreSQL driver options", [{ path: PATH, message }]);
}

/**
 * Whether pg-connection-string parses `text` without throwing: its pre-encoding of spaces
 * and stray `%`, its URL parse (retried with a placeholder host for `user@/db`), and the
 * decoding of user, password, host and database it does afterwards.
 */
function pgCanParse(text: string): boolean {
  try {
    const encoded = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(text) ? encodeURI(text).replace(/%25(\d\d)/g, "%$1") : text;
    let url: URL;
    let placeholderHost = false;
    try {
      url = new URL(encoded, "postgres://base");
    } catch {
      url = new URL(encoded.replace("@/", "@___DUMMY___/"), "postgres://base");
      placeholderHost = true;
    }
    const query = url.searchParams;
    if (!query.get("user")) decodeURIComponent(url.username);
    if (!query.get("password")) decodeURIComponent(url.password);
    if (url.protocol === "socket:") {
      decodeURI(url.pathname);
      return true;
    }
    if (!query.get("host")) decodeURIComponent(placeholderHost ? "" : url.hostname);
    if (url.pathname.length > 1) decodeURI(url.pathname.slice(1));
    return true;
  } catch {
    return false;
  }
}

/**
 * Check a PostgreSQL connection string before pg ever sees it. Accepted: a
 * `postgres://` or `postgresql://` URL (any letter case, host optional as in
 * `postgres://user@/db?host=/var/run/postgresql`), pg's `socket:/dir?db=name` form, and a
 * Unix socket directory followed by a database name (`/var/run/postgresql mydb`).
 * @throws PersistValidationError naming `options.connectionString`, with a message that
 * says what is wrong without repeating the string.
 */
export function assertConnectionString(value: unknown): void {
  if (typeof value !== "string" || value === "") refuse("must be a non-empty string");
  if (value.startsWith("/")) return;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    refuse(
      `must be a URL such as ${EXAMPLE}; pg reads neither libpq key=value strings nor bare names ` +
        "(it would take this one for a database name)",
    );
  }
  if (scheme !== "postgres" && scheme !== "postgresql" && scheme !== "socket") {
    refuse(`must be a postgres:// or postgresql:// URL such as ${EXAMPLE}; pg reads no other scheme`);
  }
  if (scheme !== "socket" && !/^[a-z]+:\/\//i.test(value)) refuse(`must start with ${scheme}:// (as in ${EXAMPLE})`);
  if (!pgCanParse(value)) {
    refuse(
      "is not a valid URL: check the host and the port (at most 65535), and percent-encode " +
        "characters such as @, #, / or % in the user name and password",
    );
  }
}
