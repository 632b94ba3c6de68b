import { join } from "node:path";
import { safeName } from "./names.js";

// Where the session store (the Claude Agent SDK's SessionStore) keeps its files, under
// `<directory>/claude/` so that it can share a directory with the persistence driver:
//
//   claude/lock                                   the store's write lock (see lock.ts)
//   claude/projects/<p-project>/<s-session>/meta.json    the commit point: transcripts, sizes, mtimes, summary
//   claude/projects/<p-project>/<s-session>/main.jsonl   the main transcript, append-only
//   claude/projects/<p-project>/<s-session>/<t-subpath>.jsonl   each subagent transcript
//   claude/trash/                                 deleted sessions on their way out
//
// Names are safeName()s: any project key, session id or subpath makes a safe, distinct name.

/** Every path of one session store. */
export class SessionStorePaths {
  /** The store's root, `<directory>/claude`. */
  readonly root: string;
  /** The write lock. */
  readonly lock: string;
  /** The directory of the projects. */
  readonly projects: string;
  /** Deleted sessions on their way out. */
  readonly trash: string;

  /** @param directory the directory given in the options. */
  constructor(directory: string) {
    this.root = join(directory, "claude");
    this.lock = join(this.root, "lock");
    this.projects = join(this.root, "projects");
    this.trash = join(this.root, "trash");
  }

  /** A project's directory. */
  project(projectKey: string): string {
    return join(this.projects, safeName("p-", projectKey));
  }

  /** A session's directory. */
  session(projectKey: string, sessionId: string): string {
    return join(this.project(projectKey), safeName("s-", sessionId));
  }
}

/** The file name of a transcript inside its session's directory. */
export function transcriptFile(subpath: string): string {
  return subpath === "" ? "main.jsonl" : `${safeName("t-", subpath)}.jsonl`;
}

/** The name of a session's commit point. */
export const META_FILE = "meta.json";
