// Claude Code's ACP adapter behind the official AcpServer: each accepted ACP connection (a
// WebSocket, or a Streamable HTTP connection) gets its own adapter process, bridged to the
// connection's message stream over the process's stdio. The process dies with its connection.
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { ndJsonStream } from "@agentclientprotocol/sdk";
import type { AgentFactory } from "@agentclientprotocol/sdk/experimental/server";
import { trackGroup, untrackGroup } from "../process-group.js";
import { killProcessGroup, spawnClaudeAdapter, type ClaudeAgentSetup } from "./agent.js";

/** What `AcpServer` asks of an agent: `connect(stream)`, once per accepted connection. */
export type AgentConnector = ReturnType<AgentFactory>;

/** The adapter processes a connector started that still run. */
export interface AdapterProcesses {
  /** Process group ids (each the adapter's pid) of live adapters, with the Claude Code processes they started. */
  readonly groups: Set<number>;
  /** Sees every message an adapter writes, before it goes to the connection (a tap for tests). */
  readonly onMessage?: (message: unknown) => void;
}

/**
 * An `AcpServer` agent that spawns the adapter for each connection (in its own process group)
 * and relays the connection's messages to its stdin and its stdout back. The group is killed
 * when the connection ends (the client left, or the server closed it); when the adapter exits
 * on its own (a crash), the connection ends, which closes the client's WebSocket.
 */
export function claudeAdapterConnector(setup: ClaudeAgentSetup, processes: AdapterProcesses): AgentConnector {
  return {
    connect(stream) {
      // The adapters' stderr (their logs) goes to <sandbox root>/adapter.log.
      const log = openSync(join(setup.sandbox.root, "adapter.log"), "a");
      let child: ChildProcess;
      try {
        child = spawnClaudeAdapter(setup, { stderr: log });
      } finally {
        closeSync(log);
      }
      const pgid = child.pid;
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
        child.once("error", () => resolve());
      });
      if (pgid === undefined) {
        void stream.readable.cancel().catch(() => undefined);
        return { closed: exited };
      }
      processes.groups.add(pgid);
      // Killed with the other harness groups if this process exits first.
      trackGroup(pgid);
      const end = () => {
        killProcessGroup(pgid);
        processes.groups.delete(pgid);
        untrackGroup(pgid);
      };
      // A write after the adapter died fails with EPIPE: the connection is ending anyway.
      child.stdin!.on("error", () => undefined);
      child.stdout!.on("error", () => undefined);
      const agent = ndJsonStream(
        Writable.toWeb(child.stdin!) as WritableStream<Uint8Array>,
        Readable.toWeb(child.stdout!) as ReadableStream<Uint8Array>,
      );
      void stream.readable
        .pipeTo(agent.writable)
        .catch(() => undefined)
        .finally(end);
      const tap = processes.onMessage;
      const output = tap
        ? agent.readable.pipeThrough(
            new TransformStream({
              transform(message, controller) {
                tap(message);
                controller.enqueue(message);
              },
            }),
          )
        : agent.readable;
      void output.pipeTo(stream.writable).catch(() => undefined);
      return { closed: exited.finally(end) };
    },
  };
}
