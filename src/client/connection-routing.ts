import { EventsLostError } from "../transport/errors.js";
import type { AgentConnection, AgentConnectionHooks } from "./agent-connection.js";
import type { SessionRegistry } from "./session-registry.js";

// What the client's runtime connections hear, routed to its session handles: each envelope
// to the recorder of the handle bound to its session, each permission request to that
// handle's permissions, and a lost connection's sessions told of messages that are gone.

/**
 * The hooks of every connection a client opens. `forget` drops a lost connection from the
 * client's pool (the next call of its sessions opens a new one).
 */
export function routeToSessions(sessions: SessionRegistry, forget: (connection: AgentConnection) => void): AgentConnectionHooks {
  return {
    observe: (sessionId, sender, payload, connectionId) => {
      const session = sessions.getBound(sessionId);
      if (session?.recorder.isReady) session.recorder.record({ connectionId, sender, payload });
    },
    requestPermission: (sessionId, request, signal) => {
      const session = sessions.getBound(sessionId);
      return session ? session.permissions.receive(sessionId, request, signal) : Promise.resolve({ outcome: { outcome: "cancelled" } });
    },
    lost: (connection, error) => {
      forget(connection);
      // Messages the runtime skipped are gone: each session that may have lost some is told.
      if (error instanceof EventsLostError) for (const id of connection.boundSessionIds()) sessions.getBound(id)?.reportError(error);
    },
  };
}
