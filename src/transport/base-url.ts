import { redactCredentials } from "./url.js";

// The sandbox-agent runtime serves its API under `/v1`, and the client adds `/v1` itself: a
// base URL ending in `/v1` (`http://host:2468/v1`) would send every request to `/v1/v1/...`
// and answer 404 until the health deadline. It is refused at once instead. Any other path is a
// prefix (a runtime behind a reverse proxy at `/sandbox`), kept as the reference client does.

/**
 * Throws a `TypeError` naming the problem when `baseUrl` points into the runtime's API (a path
 * ending in `/v1` or going below it) or has a query or a fragment. A URL that does not parse
 * is left to the transport, which reports it. A trailing `/` is fine; a path prefix too.
 */
export function checkRuntimeBaseUrl(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return;
  }
  const intoApi = /(^|\/)v1(\/|$)/.test(url.pathname);
  const extra = intoApi ? `the path "${url.pathname}"` : url.search ? "a query" : url.hash ? "a fragment" : undefined;
  if (extra === undefined) return;
  const prefix = intoApi ? url.pathname.replace(/\/?v1(\/.*)?$/, "") : url.pathname.replace(/\/$/, "");
  const root = redactCredentials(`${url.protocol}//${url.username ? `${url.username}@` : ""}${url.host}${prefix}`);
  const hint = intoApi ? "; the client adds /v1 itself" : "";
  throw new TypeError(`baseUrl "${redactCredentials(baseUrl)}" has ${extra}: give the server's root (or a proxy's path prefix), e.g. "${root}"${hint}`);
}
