import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InMemorySessionPersistDriver } from "../../src/index.js";
import {
  closeVia,
  deleteSessionVia,
  driverCapabilities,
  insertEventsVia,
  insertSessionVia,
  LEASE_METHODS,
  listLatestEventsVia,
  MAX_PAGE_LIMIT,
  PersistValidationError,
  UnsupportedCapabilityError,
} from "../../src/persist/index.js";
import { conformanceFixtures, describeDriverConformance } from "../../src/testing.js";
import { MinimalDriver } from "../support/minimal-driver.js";

const { makeEvents, minimalRecord } = conformanceFixtures;

// A driver with only the five base methods passes the whole suite (its capability tests run
// through the client's fallbacks).
describeDriverConformance({
  name: "MinimalDriver (base methods only)",
  createDriver: () => new MinimalDriver(),
  test: { describe, it, beforeEach, afterEach },
});

describe("capability fallbacks on a base-only driver", () => {
  it("detects no capabilities", () => {
    expect(driverCapabilities(new MinimalDriver())).toEqual([]);
  });

  it("insertSessionVia stores through getSession and updateSession: true when free, false when taken, validation first", async () => {
    const driver = new MinimalDriver();
    expect(await insertSessionVia(driver, minimalRecord("s"))).toBe(true);
    expect(await insertSessionVia(driver, { ...minimalRecord("s"), agent: "other" })).toBe(false);
    expect(await driver.getSession("s")).toEqual(minimalRecord("s"));
    const error = await insertSessionVia(driver, { ...minimalRecord("t"), createdAt: -1 }).catch((e: unknown) => e);
    assert.ok(error instanceof PersistValidationError);
    expect(error.issues.map((issue) => issue.path)).toEqual(["session.createdAt"]);
  });

  it("detects insertSession on the drivers that have it", () => {
    const names = driverCapabilities(new InMemorySessionPersistDriver());
    expect(names.slice(0, 5)).toEqual(["insertSession", "insertEvents", "listLatestEvents", "deleteSession", "close"]);
    expect(names).toEqual(expect.arrayContaining([...LEASE_METHODS]));
  });

  it("insertEventsVia stores a batch through insertEvent, in order", async () => {
    const driver = new MinimalDriver();
    const events = makeEvents("s", 0, 5);
    await insertEventsVia(driver, "s", events);
    expect((await driver.listEvents({ sessionId: "s" })).items).toEqual(events);
  });

  it("listLatestEventsVia walks every page and keeps the newest N, ascending", async () => {
    const driver = new MinimalDriver();
    const events = makeEvents("s", 0, MAX_PAGE_LIMIT + 250);
    await insertEventsVia(driver, "s", events);
    expect(await listLatestEventsVia(driver, "s", 300)).toEqual(events.slice(-300));
    expect(await listLatestEventsVia(driver, "s", 5000)).toEqual(events);
    expect(await listLatestEventsVia(driver, "nobody", 3)).toEqual([]);
  });

  it("deleteSessionVia rejects with UnsupportedCapabilityError and deletes nothing", async () => {
    const driver = new MinimalDriver();
    await driver.updateSession(minimalRecord("s"));
    const error = await deleteSessionVia(driver, "s").catch((e: unknown) => e);
    assert.ok(error instanceof UnsupportedCapabilityError);
    expect(error.capability).toBe("deleteSession");
    expect(await driver.getSession("s")).toEqual(minimalRecord("s"));
  });

  it("closeVia is a no-op and the driver keeps working", async () => {
    const driver = new MinimalDriver();
    await closeVia(driver);
    await driver.updateSession(minimalRecord("s"));
    expect(await driver.getSession("s")).toEqual(minimalRecord("s"));
  });
});
