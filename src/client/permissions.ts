import type { PermissionOptionKind, RequestPermissionRequest, RequestPermissionResponse } from "@agentclientprotocol/sdk";
import { PermissionRequestNotFoundError, UnsupportedPermissionReplyError } from "./errors.js";
import type { PermissionReply } from "./permission-reply.js";

export type { PermissionReply };

/** One choice the agent offers. */
export interface SessionPermissionRequestOption {
  /** The agent's id of the option. */
  optionId: string;
  /** Human-readable label. */
  name: string;
  /** What the option does. */
  kind: PermissionOptionKind;
}

/** The agent asks the user for permission (usually to run a tool call). */
export interface SessionPermissionRequest {
  /** Id to answer with `respondPermission`. */
  id: string;
  /** When the request arrived, epoch ms. */
  createdAt: number;
  /** The local session id. */
  sessionId: string;
  /** The agent's session id. */
  agentSessionId: string;
  /** The replies the options allow. */
  availableReplies: PermissionReply[];
  /** The options as the agent sent them. */
  options: SessionPermissionRequestOption[];
  /** The tool call that needs permission. */
  toolCall: RequestPermissionRequest["toolCall"];
  /** The raw ACP request. */
  rawRequest: RequestPermissionRequest;
}

/** Receives a session's permission requests. */
export type PermissionRequestListener = (request: SessionPermissionRequest) => void;

const KINDS: Record<PermissionReply, PermissionOptionKind[]> = {
  once: ["allow_once"],
  always: ["allow_always"],
  reject: ["reject_once", "reject_always"],
};

interface Pending {
  request: SessionPermissionRequest;
  resolve: (response: RequestPermissionResponse) => void;
}

/**
 * The permission requests of one session waiting for an answer. A request that arrives
 * while nobody listens is answered "cancelled" at once: an unattended agent is never
 * granted anything, and the turn is not left hanging.
 */
export class PermissionDesk {
  private readonly listeners = new Set<PermissionRequestListener>();
  private readonly pending = new Map<string, Pending>();

  /** Subscribe; returns the unsubscribe function. */
  subscribe(listener: PermissionRequestListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Handle an incoming request; resolves with the answer to send. */
  receive(sessionId: string, raw: RequestPermissionRequest, signal: AbortSignal): Promise<RequestPermissionResponse> {
    if (this.listeners.size === 0) return Promise.resolve({ outcome: { outcome: "cancelled" } });
    const request: SessionPermissionRequest = {
      id: crypto.randomUUID(),
      createdAt: Date.now(),
      sessionId,
      agentSessionId: raw.sessionId,
      availableReplies: (Object.keys(KINDS) as PermissionReply[]).filter((reply) =>
        raw.options.some((option) => KINDS[reply].includes(option.kind)),
      ),
      options: raw.options.map(({ optionId, name, kind }) => ({ optionId, name, kind })),
      toolCall: raw.toolCall,
      rawRequest: raw,
    };
    return new Promise((resolve) => {
      this.pending.set(request.id, { request, resolve });
      signal.addEventListener("abort", () => this.settle(request.id, { outcome: { outcome: "cancelled" } }), { once: true });
      for (const listener of this.listeners) {
        try {
          listener(request);
        } catch {
          // A throwing listener must not break the others or the turn.
        }
      }
    });
  }

  /** Answer with a reply kind; throws when the request is unknown or does not offer it. */
  respond(permissionId: string, reply: PermissionReply): void {
    const entry = this.pending.get(permissionId);
    if (!entry) throw new PermissionRequestNotFoundError(permissionId);
    const option = entry.request.options.find((o) => KINDS[reply]?.includes(o.kind));
    if (!option) throw new UnsupportedPermissionReplyError(permissionId, reply, entry.request.availableReplies);
    this.settle(permissionId, { outcome: { outcome: "selected", optionId: option.optionId } });
  }

  /** Answer with a raw ACP response. */
  respondRaw(permissionId: string, response: RequestPermissionResponse): void {
    if (!this.pending.has(permissionId)) throw new PermissionRequestNotFoundError(permissionId);
    this.settle(permissionId, response);
  }

  /** Whether a request with this id is waiting for an answer here. */
  has(permissionId: string): boolean {
    return this.pending.has(permissionId);
  }

  /** Cancel every pending request (the session is going away). */
  cancelAll(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, { outcome: { outcome: "cancelled" } });
  }

  private settle(id: string, response: RequestPermissionResponse): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.resolve(response);
  }
}
