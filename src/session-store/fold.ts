import type { FoldSessionSummary } from "./types.js";

// The SDK's foldSessionSummary, loaded on first use: `durable-agent/sqlite` and
// `durable-agent/postgres` import nothing of @anthropic-ai/claude-agent-sdk until a
// session store folds its first summary (loading the SDK takes about 100 ms and it is an
// optional peer dependency), and never when the store was given its own fold.

const SDK = "@anthropic-ai/claude-agent-sdk";

let loading: Promise<FoldSessionSummary> | undefined;

/** The SDK's `foldSessionSummary`, imported once per process. */
export function sdkFoldSessionSummary(): Promise<FoldSessionSummary> {
  loading ??= import(SDK).then(
    (sdk: { foldSessionSummary?: unknown }) => {
      if (typeof sdk.foldSessionSummary !== "function") {
        throw new Error(`${SDK} has no foldSessionSummary: install version 0.3 or later, or pass foldSessionSummary in the store's options`);
      }
      return sdk.foldSessionSummary as FoldSessionSummary;
    },
    (error: unknown) => {
      loading = undefined; // installed later: the next fold tries again
      throw new Error(
        `the session store folds summaries with foldSessionSummary from ${SDK}, which could not be loaded ` +
          `(install it, or pass foldSessionSummary in the store's options): ${(error as Error).message}`,
        { cause: error },
      );
    },
  );
  return loading;
}

/** A getter of the fold to use: `given` when there is one, the SDK's otherwise. */
export function summaryFolder(given: FoldSessionSummary | undefined): () => Promise<FoldSessionSummary> {
  if (given === undefined) return sdkFoldSessionSummary;
  if (typeof given !== "function") throw new TypeError("options.foldSessionSummary must be a function");
  const ready = Promise.resolve(given);
  return () => ready;
}
