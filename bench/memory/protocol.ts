/** Prefix of the line on which a memory child prints its figures (JSON array of metrics). */
export const MEMORY_RESULT_PREFIX = "BENCH_MEMORY_RESULT ";

/** How peak memory is measured, as printed and stored with the results. */
export const MEMORY_METHOD =
  "fresh child process per driver and workload; after the data set is built and a forced GC, " +
  "process.memoryUsage() heapUsed and RSS are sampled at every page/call and every 5 ms during the measured reads; " +
  "figures are the peak growth above that baseline (RSS includes native memory such as SQLite's page cache)";
