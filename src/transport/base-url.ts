import { redactCredentials } from "./url.js";

// The sandbox-agent runtime serves its API under `/v1` at the root of its server: a base URL
// with a path (`http://host:2468/v1`) would send every request to `/v1/v1/...` and answer 404
// until the health deadline. It is refused at once instead.

/**
 * Throws a `TypeError` naming the problem when `baseUrl` is not the root of a server: it has
 * a path other than `/`, a query or a fragment. A URL that does not parse is left to the
 * transport, which reports it. A trailing `/` is fine.
 */
export function checkRuntimeBaseUrl(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return;
  }
  const extra = url.pathname !== "/" ? `the path "${url.pathname}"` : url.search ? "a query" : url.hash ? "a fragment" : undefined;
  if (extra === undefined) return;
  const root = redactCredentials(`${url.protocol}//${url.username ? `${url.username}@` : ""}${url.host}`);
  const hint = /^\/v1(\/|$)/.test(url.pathname)
    ? "; the client adds /v1 itself"
    : "; a runtime behind a proxy at a path prefix is reached with a fetch option that rewrites its URLs";
  throw new TypeError(
    `baseUrl "${redactCredentials(baseUrl)}" has ${extra}: the sandbox-agent runtime serves its API at the root of its server, so give the root, e.g. "${root}"${hint}`,
  );
}
