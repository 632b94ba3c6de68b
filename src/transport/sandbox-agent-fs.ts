import { errorFromResponse, readProblem, errorFromProblem, type HttpEndpoint } from "./http.js";

// The sandbox-agent runtime's file routes (`/v1/fs/...`, sandbox-agent 0.4.2), as the agent
// state snapshots use them. Observed on 0.4.2: a relative path resolves against the runtime's
// HOME; `GET /v1/fs/file` always sends the whole file (a `Range` header is ignored);
// `PUT /v1/fs/file` creates missing parent directories; a missing path answers 400
// `invalid_request` with the detail "path not found: <path>".

/** What `GET /v1/fs/stat` tells of a path. */
export interface SandboxFileStat {
  /** The absolute path the runtime resolved. */
  path: string;
  /** `"file"` or `"directory"`. */
  entryType: string;
  /** Size in bytes. */
  size: number;
}

/** The runtime's answer for a path that does not exist. */
function isPathNotFound(status: number, detail: string | undefined): boolean {
  return (status === 400 || status === 404) && /path not found/i.test(detail ?? "");
}

/** The file routes of a sandbox-agent runtime, for one endpoint. */
export class SandboxAgentFiles {
  constructor(private readonly endpoint: HttpEndpoint) {}

  /** `GET /v1/fs/stat`; `undefined` when the path does not exist. */
  async stat(path: string, signal?: AbortSignal): Promise<SandboxFileStat | undefined> {
    const response = await this.endpoint.send("/v1/fs/stat", { method: "GET", query: { path }, signal, headers: { accept: "application/json" } });
    if (!response.ok) return this.missingOrThrow(response, `stat of ${path}`);
    return (await response.json()) as SandboxFileStat;
  }

  /** `GET /v1/fs/file`: the whole file; `undefined` when it does not exist. */
  async read(path: string, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    const response = await this.endpoint.send("/v1/fs/file", { method: "GET", query: { path }, signal, headers: { accept: "application/octet-stream" } });
    if (!response.ok) return this.missingOrThrow(response, `reading ${path}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** `PUT /v1/fs/file`: create or replace the file (parent directories are created). */
  async write(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const response = await this.endpoint.send("/v1/fs/file", {
      method: "PUT",
      query: { path },
      signal,
      body: data as Uint8Array<ArrayBuffer>,
      headers: { "content-type": "application/octet-stream", accept: "application/json" },
    });
    if (!response.ok) throw await errorFromResponse(response, `writing ${path}`);
    await response.body?.cancel();
  }

  private async missingOrThrow(response: Response, what: string): Promise<undefined> {
    const problem = await readProblem(response);
    if (isPathNotFound(response.status, problem?.detail)) return undefined;
    throw errorFromProblem(response.status, problem, what);
  }
}
