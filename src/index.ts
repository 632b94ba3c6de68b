/**
 * durable-agent: a client SDK for remote coding-agent runtimes whose sessions survive
 * runtime loss. This entry point holds the client and the persistence core; each storage
 * backend has its own subpath (`durable-agent/sqlite`, ...).
 * @packageDocumentation
 */
export { DurableAgentError } from "./errors.js";
export * from "./persist/index.js";
export * from "./persist/memory.js";
