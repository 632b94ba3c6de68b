import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Drivers are loaded by path at run time, so the bench runs whatever drivers exist in the
// tree: a driver joins as soon as its file lands, and a missing one is skipped with a note.

/** Absolute path of a file given relative to the repository root. */
export function repoPath(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}

/** Whether a repository file exists. */
export function repoFileExists(relative: string): boolean {
  return existsSync(repoPath(relative));
}

/** Import a repository module and return its export `name`, checked to be a class or function. */
export async function loadExport<T>(relative: string, name: string): Promise<T> {
  const specifier = new URL(`../../${relative}`, import.meta.url).href;
  const mod = (await import(specifier)) as Record<string, unknown>;
  const value = mod[name];
  if (typeof value !== "function") throw new Error(`${relative} does not export ${name}`);
  return value as T;
}
