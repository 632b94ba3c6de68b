// The persistence core: everything a driver needs, and nothing of ACP or of the client.
export * from "./types.js";
export * from "./errors.js";
export * from "./schemas.js";
export * from "./cursor.js";
export * from "./capabilities.js";
export * from "./equality.js";
export * from "./batch.js";
