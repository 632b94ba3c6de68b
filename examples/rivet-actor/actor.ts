import { actor } from "rivetkit";
import { db } from "rivetkit/db";
import { RivetSessionPersistDriver, type RetentionReport, type RivetPersistState } from "../../drivers/rivet.js";
import { SandboxAgent, type Session } from "../../src/index.js";

// An orchestration actor that owns one sandbox (a sandbox-agent runtime at `baseUrl`) and its
// agent session. Its history lives in the actor: events and records in the actor's SQLite
// database, the records mirrored into `c.state._sandboxAgentPersist` (the reference driver's
// layout). When the actor sleeps, moves or restarts, createVars runs again and
// resumeOrCreateSession restores the session from what is stored.
//
// In an app, import from "durable-agent" and "durable-agent/rivet" instead of the paths above.

/** The actor's state: the sandbox it owns, plus the driver's data. */
export type SandboxState = RivetPersistState & { sandboxId: string; baseUrl: string; token?: string; agent: string };

/** What a new actor is created with (`getOrCreate(key, { createWithInput })`). */
export interface SandboxInput {
  sandboxId: string;
  baseUrl: string;
  token?: string;
  /** The agent to run in the sandbox (default "codex"). */
  agent?: string;
}

export const sandboxActor = actor({
  createState: (_c: unknown, input: SandboxInput): SandboxState =>
    // The driver adds `_sandboxAgentPersist` the first time it opens the state.
    ({ sandboxId: input.sandboxId, baseUrl: input.baseUrl, token: input.token, agent: input.agent ?? "codex" }) satisfies Omit<SandboxState, "_sandboxAgentPersist"> as SandboxState,
  // Declared for clarity: RivetKit 2.3 gives every actor its database anyway.
  db: db(),
  createVars: async (c) => {
    const dropped: RetentionReport[] = [];
    const persist = new RivetSessionPersistDriver(c, {
      // Whole sessions go beyond 100 per sandbox; a session keeps its last 20,000 events.
      maxSessions: 100,
      maxEventsPerSession: 20_000,
      onRetention: (report) => dropped.push(report),
    });
    const sdk = await SandboxAgent.connect({ baseUrl: c.state.baseUrl, token: c.state.token, persist });
    const session: Session = await sdk.resumeOrCreateSession({ id: "default", agent: c.state.agent });
    return { persist, sdk, session, dropped };
  },
  onSleep: async (c) => {
    await c.vars.sdk.dispose();
  },
  actions: {
    /** Send a prompt; resolves with the stop reason once the turn is stored. */
    prompt: async (c, text: string) => {
      const response = await c.vars.session.prompt(text);
      return response.stopReason;
    },
    /** The session's stored history, a page at a time. */
    history: async (c, cursor?: string) => c.vars.persist.listEvents({ sessionId: "default", cursor, limit: 100 }),
    /** Where the history is, the caps, and what they dropped (also logged on c.log). */
    retention: (c) => ({ ...c.vars.persist.retention(), droppedSinceWake: c.vars.dropped.length }),
  },
  // createVars connects to the runtime and restores the session: more than RivetKit's default 5 s on a slow link.
  options: { createVarsTimeout: 30_000 },
});
