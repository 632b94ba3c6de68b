import { describe, expect, it } from "vitest";
import { dedupeBatch, EventConflictError, type SessionEvent } from "../../src/driver.js";

const event = (id: string, eventIndex: number, text = "hi"): SessionEvent => ({
  id,
  eventIndex,
  sessionId: "s",
  createdAt: 1,
  connectionId: "c",
  sender: "agent",
  payload: { jsonrpc: "2.0", method: "session/update", params: { text } },
});

describe("dedupeBatch", () => {
  it("drops exact repeats inside a batch and keeps the order", () => {
    const batch = [event("a", 0), event("b", 1), event("a", 0), event("c", 2)];
    expect(dedupeBatch("s", batch).map((e) => e.id)).toEqual(["a", "b", "c"]);
  });

  it("refuses a different event under an id already in the batch", () => {
    const error = (() => {
      try {
        dedupeBatch("s", [event("a", 0), event("a", 0, "changed")]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EventConflictError);
    expect((error as EventConflictError).reason).toBe("id");
  });

  it("refuses two events at one eventIndex", () => {
    expect(() => dedupeBatch("s", [event("a", 0), event("b", 0)])).toThrow(expect.objectContaining({ reason: "eventIndex" }));
  });
});
