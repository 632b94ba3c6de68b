import { readFileSync } from "node:fs";
import { renderMarkdown, renderText } from "./report.js";
import type { BenchResults } from "./results.js";
import { repoPath } from "./support/load.js";

// Print a results file again, as text or Markdown (for docs/benchmarks.md):
//   node --import tsx bench/render.ts [bench/results/latest.json] [--markdown]

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--")) ?? repoPath("bench/results/latest.json");
const results = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
process.stdout.write(args.includes("--markdown") ? renderMarkdown(results) : renderText(results));
