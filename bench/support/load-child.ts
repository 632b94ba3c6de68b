import { LOAD_RESULT_PREFIX, runLoadRow, type LoadShape } from "./load-row.js";

// Runs one row of the `load` workload in a fresh process (so its peak RSS is its own) and
// prints the result on a line starting with LOAD_RESULT_PREFIX.
// Usage: node --import tsx bench/support/load-child.ts <sqlite|memory> '<LoadShape JSON>'

async function main(): Promise<void> {
  const [store, shapeJson = "{}"] = process.argv.slice(2);
  if (store !== "sqlite" && store !== "memory") throw new Error(`unknown store "${store}" (sqlite or memory)`);
  const result = await runLoadRow(store, JSON.parse(shapeJson) as LoadShape);
  process.stdout.write(`${LOAD_RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
