import type { SessionEvent } from "../persist/types.js";
import type { PermissionRequestListener } from "./permissions.js";
import type { Session, SessionEventListener } from "./session.js";

/**
 * Listeners an app registers on the client by session id (`onSessionEvent`,
 * `onPermissionRequest`), possibly before the session's handle exists: event listeners are
 * called for every event of that id; permission listeners are attached to the handle as
 * soon as there is one.
 */
export class ListenersById {
  private readonly events = new Map<string, Set<SessionEventListener>>();
  private readonly permissions = new Map<string, Set<PermissionRequestListener>>();
  /** Unsubscribe functions of permission listeners attached to a handle. */
  private readonly attached = new Map<PermissionRequestListener, () => void>();

  /** Add an event listener for `sessionId`; returns its remover. */
  onEvent(sessionId: string, listener: SessionEventListener): () => void {
    let set = this.events.get(sessionId);
    if (!set) this.events.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.events.delete(sessionId);
    };
  }

  /** Add a permission listener for `sessionId`, attached to `session` now when it exists. */
  onPermissionRequest(sessionId: string, listener: PermissionRequestListener, session: Session | undefined): () => void {
    let set = this.permissions.get(sessionId);
    if (!set) this.permissions.set(sessionId, (set = new Set()));
    set.add(listener);
    if (session) this.attached.set(listener, session.onPermissionRequest(listener));
    return () => {
      set.delete(listener);
      if (set.size === 0) this.permissions.delete(sessionId);
      this.attached.get(listener)?.();
      this.attached.delete(listener);
    };
  }

  /** A handle for a session was created: attach the permission listeners waiting for it. */
  attach(session: Session): void {
    for (const listener of this.permissions.get(session.id) ?? []) {
      this.attached.get(listener)?.();
      this.attached.set(listener, session.onPermissionRequest(listener));
    }
  }

  /** Hand `event` to the listeners of its session. */
  emit(event: SessionEvent): void {
    const set = this.events.get(event.sessionId);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
