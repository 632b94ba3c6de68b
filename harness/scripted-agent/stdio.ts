// Entry point the runtime spawns (through the `mock-acp` launcher): serves the scripted agent
// over stdio as newline-delimited JSON-RPC, configured by the file named in SCRIPTED_AGENT_CONFIG.
import { Readable, Writable } from "node:stream";
import { ndJsonStream } from "@agentclientprotocol/sdk";
import { createScriptedAgent } from "./agent.js";
import { readScriptedAgentConfig, SCRIPTED_AGENT_CONFIG_ENV } from "./config.js";

const configPath = process.env[SCRIPTED_AGENT_CONFIG_ENV];
const config = configPath === undefined ? { loadSession: false } : readScriptedAgentConfig(configPath);

const app = createScriptedAgent({
  ...config,
  // Let the chunk already written reach the runtime before dying.
  onCrash: () => new Promise<void>(() => process.stdout.write("", () => process.exit(1))),
});
const stream = ndJsonStream(
  Writable.toWeb(process.stdout) as WritableStream<Uint8Array>,
  Readable.toWeb(process.stdin) as ReadableStream<Uint8Array>,
);
const connection = app.connect(stream);
await connection.closed;
process.exit(0);
