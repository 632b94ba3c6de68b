import { describe, expect, expectTypeOf, it } from "vitest";
import * as file from "../../drivers/file.js";
import * as indexeddb from "../../drivers/indexeddb.js";
import * as postgres from "../../drivers/postgres.js";
import * as redis from "../../drivers/redis.js";
import * as rivet from "../../drivers/rivet.js";
import * as sqlite from "../../drivers/sqlite.js";
import { DURABLE_AGENT_ERROR_CODES, isDurableAgentErrorCode, type DurableAgentErrorCode } from "../../src/error-codes.js";
import { DurableAgentError } from "../../src/errors.js";
import * as core from "../../src/index.js";
import * as encryption from "../../src/encryption.js";

// Every error class the package exports (the main entry and each driver's), found by walking
// the exports, so a new class cannot be forgotten here: it needs constructor arguments below.
type ErrorClass = new (...args: never[]) => DurableAgentError;

const entries: Record<string, Record<string, unknown>> = { core, sqlite, postgres, indexeddb, redis, file, rivet, encryption };

function exportedErrorClasses(): Map<string, ErrorClass> {
  const found = new Map<string, ErrorClass>();
  for (const module of Object.values(entries)) {
    for (const value of Object.values(module)) {
      // By the class's own name: an alias (the reference client's `SandboxAgentError`) is its class.
      if (typeof value === "function" && (value === DurableAgentError || value.prototype instanceof DurableAgentError)) {
        found.set(value.name, value as ErrorClass);
      }
    }
  }
  return found;
}

// Base classes whose callers pass the code (checked by the compiler, see the type tests).
const TAKES_A_CODE = new Set(["DurableAgentError", "RuntimeError", "PersistError", "IndexedDbError"]);
/** Views over other classes, never constructed: `SandboxAgentError` is every RuntimeError with an HTTP status. */
const ABSTRACT = new Set(["SandboxAgentError"]);

const event = { id: "e1", eventIndex: 0, sessionId: "s1", createdAt: 0, connectionId: "c1", sender: "client" as const, payload: { jsonrpc: "2.0" as const, method: "x" } };

// Constructor arguments of every class that sets its own code.
const ARGS: Record<string, unknown[]> = {
  AbortedError: [],
  AuthenticationError: ["m"],
  AgentInstallError: ["claude", "m"],
  RuntimeNotFoundError: ["m"],
  RuntimeTimeoutError: ["m"],
  RuntimeUnavailableError: ["m"],
  RuntimeLostError: ["m"],
  RuntimeHttpError: ["m"],
  EventsLostError: ["m", { fromStreamId: 3, toStreamId: 5 }],
  AgentRequestError: ["session/prompt", -32602, "m", null],
  DisposedError: [],
  InvalidOptionsError: ["m"],
  UnstoredEventsError: [[event]],
  SessionNotFoundError: ["s1"],
  SessionExistsError: ["s1"],
  SessionDestroyedError: ["s1"],
  SessionBusyError: ["s1"],
  UnsupportedSessionCategoryError: ["s1", "model", ["mode"]],
  UnsupportedSessionValueError: ["s1", "mode", "mode", "code", ["ask"]],
  UnsupportedSessionConfigOptionError: ["s1", "effort", ["model"]],
  SessionSettingUnavailableError: ["s1", [{ setting: "mode", value: "code", reason: "not offered" }]],
  UnsupportedPermissionReplyError: ["p1", "always", ["once"]],
  PermissionRequestNotFoundError: ["p1"],
  PersistenceFailedError: ["s1", 1, new Error("down")],
  PersistenceTimeoutError: ["s1", 1, new Error("late")],
  HistoryInputError: ["m"],
  AgentStateOffsetError: ["s1", "t.jsonl", 5, 3],
  RedactionFailedError: ["s1", "e1", 3, new Error("hook broke")],
  SessionStoreRedactionError: [new Error("hook broke")],
  DecryptionFailedError: ["tampered", 'event "e1"', "k1"],
  EncryptionKeyError: ["m"],
  AgentStateSnapshotError: ["s1", "m"],
  AgentStateTooLargeError: ["s1", ".claude/projects/-w/a.jsonl", 100, 10, "file"],
  AgentStateRestoreError: ["s1", "m"],
  PersistValidationError: ["event", [{ path: "event.id", message: "required" }]],
  EventConflictError: ["id", "s1", "e1", 0],
  InvalidCursorError: ["c", "bad"],
  DriverClosedError: ["Driver"],
  UnsupportedCapabilityError: ["deleteSession"],
  LeaseLostError: [{ sessionId: "s1", holder: "a", token: 1, expiresAt: 0 }, undefined],
  LifecycleInputError: ["retention policy", ["policy.maxAgeMs: must be a positive integer"]],
  ForkSourceNotFoundError: ["s1"],
  ForkTargetExistsError: ["s2"],
  ForkIndexOutOfRangeError: ["s1", 9, { first: 0, last: 3 }],
  RetentionFailedError: [new Error("disk full")],
  SQLiteSchemaVersionError: ["t", 9, 1],
  PostgresSchemaVersionError: ["t", 9, 1],
  IndexedDbBlockedError: ["db", 1, 2, 100],
  IndexedDbSchemaVersionError: ["db", 1],
  IndexedDbSchemaError: ["db", ["sessions"]],
  IndexedDbUnavailableError: ["indexedDB"],
  IndexedDbOperationError: ["put", new Error("quota")],
  FileStoreBusyError: ["/tmp/store", 1234, 10_000],
  FileStoreVersionError: ["/tmp/store/store.json", 9, 1],
  RivetStateError: ["_sandboxAgentPersist", "m"],
  RivetSchemaVersionError: [2, 1],
  SessionLeasedError: [{ sessionId: "s1", holder: "w1", token: 1, expiresAt: 0 }, 0],
  SessionLeaseLostError: ["s1", "w1", new Error("taken over")],
};

describe("error codes", () => {
  it("SandboxAgentError is every runtime error that carries an HTTP status, as the reference client's class", async () => {
    const { SandboxAgentError, RuntimeHttpError, RuntimeUnavailableError } = await import("../../src/index.js");
    expect(new RuntimeHttpError("m", { status: 500 })).toBeInstanceOf(SandboxAgentError);
    expect(new RuntimeUnavailableError("network down")).not.toBeInstanceOf(SandboxAgentError);
    expect(new Error("x")).not.toBeInstanceOf(SandboxAgentError);
  });

  it("every exported error class sets a code listed in DURABLE_AGENT_ERROR_CODES", () => {
    const classes = exportedErrorClasses();
    expect(classes.size).toBeGreaterThan(30);
    const unlisted: string[] = [];
    const seen = new Set<string>();
    for (const [name, ErrorClass] of classes) {
      if (TAKES_A_CODE.has(name) || ABSTRACT.has(name)) continue;
      const args = ARGS[name];
      expect(args, `constructor arguments for ${name} (add it to ARGS)`).toBeDefined();
      const error = new ErrorClass(...(args as never[]));
      expect(error).toBeInstanceOf(DurableAgentError);
      expect(error.name).toBe(name);
      seen.add(error.code);
      if (!isDurableAgentErrorCode(error.code)) unlisted.push(`${name}: ${error.code}`);
    }
    expect(unlisted).toEqual([]);
    // The list holds no code nobody throws.
    expect(DURABLE_AGENT_ERROR_CODES.filter((code) => !seen.has(code))).toEqual([]);
  });

  it("lists each code once", () => {
    expect(new Set(DURABLE_AGENT_ERROR_CODES).size).toBe(DURABLE_AGENT_ERROR_CODES.length);
  });

  it("isDurableAgentErrorCode tells listed codes from anything else", () => {
    expect(isDurableAgentErrorCode("runtime.lost")).toBe(true);
    expect(isDurableAgentErrorCode("runtime.gone")).toBe(false);
    expect(isDurableAgentErrorCode(42)).toBe(false);
  });

  it("types code as the union (a switch is checked for exhaustiveness)", () => {
    expectTypeOf<DurableAgentError["code"]>().toEqualTypeOf<DurableAgentErrorCode>();
    expectTypeOf<core.RuntimeLostError["code"]>().toEqualTypeOf<DurableAgentErrorCode>();
    expectTypeOf<core.PersistenceTimeoutError["code"]>().toEqualTypeOf<DurableAgentErrorCode>();
    expectTypeOf<"runtime.lost">().toExtend<DurableAgentErrorCode>();
    expectTypeOf<"runtime.gone">().not.toExtend<DurableAgentErrorCode>();
    // Constructors take the union, not any string.
    expectTypeOf<ConstructorParameters<typeof DurableAgentError>[0]>().toEqualTypeOf<DurableAgentErrorCode>();
    expectTypeOf<ConstructorParameters<typeof core.RuntimeError>[0]>().toEqualTypeOf<DurableAgentErrorCode>();
    // @ts-expect-error an unlisted code does not compile
    void new DurableAgentError("runtime.gone", "m");

    const layer = (code: DurableAgentErrorCode): string => {
      const [head] = code.split(".");
      switch (code) {
        case "aborted":
          return "caller";
        default:
          return head ?? "";
      }
    };
    expect(layer(new core.RuntimeLostError("m").code)).toBe("runtime");
    expect(layer(new core.AbortedError().code)).toBe("caller");

    // Exhaustiveness: a `never` default compiles only when every code has a case.
    const exhaustive = (code: DurableAgentErrorCode): true => {
      switch (code) {
        case "aborted":
        case "runtime.unauthorized":
        case "runtime.agent_install_failed":
        case "runtime.not_found":
        case "runtime.timeout":
        case "runtime.unavailable":
        case "runtime.lost":
        case "runtime.events_lost":
        case "runtime.http_error":
        case "agent.request_failed":
        case "client.disposed":
        case "client.invalid_options":
        case "client.unstored_events":
        case "session.not_found":
        case "session.exists":
        case "session.destroyed":
        case "session.busy":
        case "session.unsupported_category":
        case "session.unsupported_value":
        case "session.unsupported_config_option":
        case "session.setting_unavailable":
        case "session.leased":
        case "session.lease_lost":
        case "permission.unsupported_reply":
        case "permission.not_found":
        case "recorder.persist_failed":
        case "recorder.persist_timeout":
        case "history.invalid_input":
        case "agent_state.snapshot_failed":
        case "agent_state.too_large":
        case "agent_state.restore_failed":
        case "lifecycle.invalid_input":
        case "redaction.failed":
        case "encryption.decryption_failed":
        case "encryption.invalid_key":
        case "lifecycle.session_not_found":
        case "lifecycle.session_exists":
        case "lifecycle.index_out_of_range":
        case "lifecycle.retention_failed":
        case "persist.invalid_input":
        case "persist.conflict":
        case "persist.invalid_cursor":
        case "persist.closed":
        case "persist.unsupported":
        case "persist.schema_too_new":
        case "persist.lease_lost":
        case "persist.agent_state_offset":
        case "persist.indexeddb.blocked":
        case "persist.indexeddb.version":
        case "persist.indexeddb.schema":
        case "persist.indexeddb.unavailable":
        case "persist.indexeddb.failed":
        case "persist.file.busy":
        case "persist.rivet.state":
          return true;
        default: {
          const unhandled: never = code;
          throw new Error(`unhandled ${String(unhandled)}`);
        }
      }
    };
    for (const code of DURABLE_AGENT_ERROR_CODES) expect(exhaustive(code)).toBe(true);
  });
});
