import { beforeAll, describe, expect, it } from "vitest";
import { apiEntries, compareApiReport, diffLines, generateApiReport } from "../../scripts/api-report.js";

// The checked-in API report (api/*.api.md) against the sources: any change to the public
// surface of an entry point shows up as a diff of those files in review.

describe("the API report (api/*.api.md)", () => {
  let reports: Map<string, string>;
  beforeAll(() => {
    reports = generateApiReport();
  }, 120_000);

  it("is checked in for every entry point and matches the sources", () => {
    const problems = compareApiReport(undefined, reports);
    if (problems.length > 0) {
      throw new Error(
        `The public API differs from the checked-in report: run npm run api:report and review the change ` +
          `(git diff api/), then commit it with the code.\n\n${problems.join("\n\n")}`,
      );
    }
  });

  it("covers every subpath export, one file each", () => {
    const entries = apiEntries();
    expect(entries.map((entry) => entry.specifier)).toEqual(
      expect.arrayContaining(["durable-agent", "durable-agent/driver", "durable-agent/testing", "durable-agent/sqlite"]),
    );
    expect([...reports.keys()]).toEqual(entries.map((entry) => entry.reportFile));
    expect(reports.get("durable-agent-sqlite.api.md")).toContain("class SQLiteSessionPersistDriver extends LeasingPersistDriver {");
  });

  it("shows what users get: no @internal or private member, no file path", () => {
    const main = reports.get("durable-agent.api.md") ?? "";
    const session = /^class Session \{\n[\s\S]*?\n\}$/m.exec(main)?.[0] ?? "";
    expect(session).toContain("prompt(prompt: PromptInput, options?: PromptOptions): Promise<PromptResponse>;");
    for (const hidden of ["readonly recorder", "readonly permissions", "emit(", "attachNew(", "markDestroyed(", "private readonly host"]) {
      expect(session).not.toContain(hidden);
    }
    for (const [file, text] of reports) expect(text, file).not.toMatch(/\/work\/|node_modules|import\("/);
  });

  it("reports a difference as a line diff", () => {
    const diff = diffLines("a\nb\nc\nd\ne\nf\ng", "a\nb\nc\nD\ne\nf\ng\nh", 1);
    expect(diff.split("\n")).toEqual(["@@ line 3", "  c", "- d", "+ D", "  e", "@@ line 7", "  g", "+ h"]);
  });
});
