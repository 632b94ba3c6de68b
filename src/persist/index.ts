// The persistence core, whole, for this package's own modules and tests: the storage contract,
// its errors, validation, cursors, capability detection and the driver kit. The public entries
// pick from it: `src/index.ts` (apps) and `src/driver.ts` (driver authors).
export * from "./types.js";
export * from "./errors.js";
export * from "./schemas.js";
export * from "./cursor.js";
export * from "./capabilities.js";
export * from "./equality.js";
export * from "./batch.js";
export * from "./backend.js";
export * from "./persist-driver.js";
export * from "./leases.js";
export * from "./agent-state.js";
export * from "./agent-state-schema.js";
export * from "./agent-state-methods.js";
