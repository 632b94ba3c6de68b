import type { Workload } from "../types.js";
import { acpOverhead } from "./acp-overhead.js";
import { batchIngest } from "./batch-ingest.js";
import { w1Sequential } from "./w1-sequential.js";
import { w2Concurrent } from "./w2-concurrent.js";
import { w3PageThrough } from "./w3-page-through.js";
import { w4Tail } from "./w4-tail.js";
import { w5Sessions } from "./w5-sessions.js";
import { clientRoundTrip } from "./client-round-trip.js";
import { longTurnIngest } from "./long-turn.js";
import { clientLoad } from "./load.js";
import { sessionStoreWorkload } from "./session-store.js";
import { cliMigrate } from "./cli-migrate.js";
import { agentStateWorkload } from "./agent-state.js";
import { agentStateStore } from "./agent-state-store.js";
import { lifecycleWorkload } from "./lifecycle.js";

// The workload registry: one file per workload, listed here in table order.
// To add one (e.g. a client-level "prompt round trip" or "streaming ingest of a long
// turn"), write bench/workloads/<id>.ts exporting a DriverWorkload (runs once per driver,
// gets a fresh store) or a StandaloneWorkload (runs once, names its own rows), and add
// it to this list. `BENCH_WORKLOADS=w1,w3` selects by id.

/** Every workload, in table order. */
export const WORKLOADS: readonly Workload[] = [
  w1Sequential as Workload,
  w2Concurrent as Workload,
  batchIngest as Workload,
  w3PageThrough as Workload,
  w4Tail as Workload,
  w5Sessions as Workload,
  clientRoundTrip,
  longTurnIngest,
  clientLoad,
  acpOverhead,
  sessionStoreWorkload,
  agentStateWorkload,
  agentStateStore as Workload,
  lifecycleWorkload as Workload,
  cliMigrate,
];
