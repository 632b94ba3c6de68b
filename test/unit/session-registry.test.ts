import { describe, expect, it } from "vitest";
import { SessionRegistry } from "../../src/client/session-registry.js";
import type { Session } from "../../src/client/session.js";

const handle = (id: string) => ({ id }) as Session;

describe("SessionRegistry", () => {
  it("returns the one handle per id, bound or idle, and routes only to bound ones", () => {
    const registry = new SessionRegistry();
    const a = handle("a");
    registry.addIdle(a);
    expect(registry.get("a")).toBe(a);
    expect(registry.getBound("a")).toBeUndefined();
    registry.markBound(a);
    expect(registry.get("a")).toBe(a);
    expect(registry.getBound("a")).toBe(a);
    expect([...registry.boundSessions()]).toEqual([a]);
    registry.delete("a");
    expect(registry.get("a")).toBeUndefined();
    expect([...registry.boundSessions()]).toEqual([]);
  });

  it("keeps many idle handles reachable while they are referenced", () => {
    const registry = new SessionRegistry();
    const handles = Array.from({ length: 3000 }, (_, i) => handle(`s${i}`));
    for (const h of handles) registry.addIdle(h);
    expect(handles.every((h) => registry.get(h.id) === h)).toBe(true);
  });
});
