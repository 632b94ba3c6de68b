import assert from "node:assert/strict";
import { assertSameData, readAllEvents } from "./assertions.js";
import type { SuiteContext } from "./context.js";
import { fullRecord, makeEvent, makeEvents } from "./fixtures.js";

interface Mutable {
  params?: { update?: { content?: { text?: string } } };
}

/** The driver keeps its own copies: mutating what was passed in or handed out changes nothing stored. */
export function copyTests(ctx: SuiteContext): void {
  const { it } = ctx.test;

  it("mutating a returned record or event changes nothing stored", async () => {
    const record = fullRecord("s-copy");
    const event = makeEvent("s-copy", 1, { sender: "agent" });
    await ctx.driver().updateSession(record);
    await ctx.driver().insertEvent("s-copy", event);

    const gotRecord = await ctx.driver().getSession("s-copy");
    assert.ok(gotRecord?.modes && gotRecord.configOptions);
    gotRecord.agent = "mutated";
    gotRecord.modes.currentModeId = "mutated";
    gotRecord.configOptions.length = 0;
    const listed = (await ctx.driver().listSessions()).items[0];
    assert.ok(listed);
    listed.agentSessionId = "mutated";

    const [gotEvent] = (await ctx.driver().listEvents({ sessionId: "s-copy" })).items;
    assert.ok(gotEvent);
    gotEvent.eventIndex = 99;
    (gotEvent.payload as Mutable).params!.update!.content!.text = "mutated";

    assertSameData(await ctx.driver().getSession("s-copy"), record);
    assertSameData((await ctx.driver().listSessions()).items, [record]);
    assertSameData(await readAllEvents(ctx.driver(), "s-copy"), [event]);
  });

  it("mutating an object after writing it changes nothing stored", async () => {
    const record = fullRecord("s-copy-in");
    const event = makeEvent("s-copy-in", 1, { sender: "agent" });
    const recordInput = structuredClone(record);
    const eventInput = structuredClone(event);
    await ctx.driver().updateSession(recordInput);
    await ctx.driver().insertEvent("s-copy-in", eventInput);

    recordInput.agent = "mutated";
    recordInput.modes!.currentModeId = "mutated";
    eventInput.connectionId = "mutated";
    (eventInput.payload as Mutable).params!.update!.content!.text = "mutated";

    assertSameData(await ctx.driver().getSession("s-copy-in"), record);
    assertSameData(await readAllEvents(ctx.driver(), "s-copy-in"), [event]);
  });

  it("the optional capabilities copy too: insertEvents inputs and listLatestEvents results", async () => {
    const driver = ctx.driver();
    const events = makeEvents("s-copy-cap", 0, 3);
    const input = structuredClone(events);
    if (typeof driver.insertEvents === "function") await driver.insertEvents("s-copy-cap", input);
    else for (const event of input) await driver.insertEvent("s-copy-cap", event);
    for (const event of input) event.connectionId = "mutated";
    if (typeof driver.listLatestEvents === "function") {
      const tail = await driver.listLatestEvents("s-copy-cap", 3);
      for (const event of tail) (event.payload as Mutable).params!.update = { content: { text: "mutated" } };
    }
    assertSameData(await readAllEvents(driver, "s-copy-cap"), events);
  });
}
