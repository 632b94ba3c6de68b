import type { ContentBlock } from "@agentclientprotocol/sdk";
import { performance } from "node:perf_hooks";
import { beforeAll, describe, expect, it } from "vitest";
import { toPromptBlocks, type PromptInput } from "../../src/client/prompt-input.js";
import { InvalidOptionsError } from "../../src/index.js";

describe("toPromptBlocks", () => {
  beforeAll(() => {
    // Warm-up: the first error of a process pays for compiling the code on its path.
    expect(() => toPromptBlocks(0 as never)).toThrow(InvalidOptionsError);
  });

  it("turns text, a block or blocks into blocks", () => {
    expect(toPromptBlocks("hi")).toEqual([{ type: "text", text: "hi" }]);
    expect(toPromptBlocks({ type: "text", text: "hi" })).toEqual([{ type: "text", text: "hi" }]);
    const blocks: ContentBlock[] = [
      { type: "text", text: "" },
      { type: "image", data: "AA==", mimeType: "image/png" },
      { type: "audio", data: "AA==", mimeType: "audio/wav" },
      { type: "resource_link", uri: "file:///a.ts", name: "a.ts" },
      { type: "resource", resource: { uri: "file:///a.ts", text: "x" } },
      { type: "resource", resource: { uri: "file:///a.bin", blob: "AA==" } },
      { type: "text", text: "more", annotations: { priority: 1 }, _meta: { k: 1 } },
    ];
    const out = toPromptBlocks(blocks);
    expect(out).toEqual(blocks);
    expect(out).not.toBe(blocks); // a copy: the caller's array may change later
  });

  it.each([
    [42, "prompt must be text, a content block or an array of content blocks, got a number (42)"],
    [null, "got null"],
    [undefined, "got undefined"],
    [true, "got a boolean (true)"],
    ["", "prompt is an empty string: nothing to send"],
    [[], "prompt is an empty array: give at least one content block"],
    [["hi"], 'prompt[0] is a string, not a content block: write { type: "text", text: "hi" }, or pass the text alone'],
    [[{ type: "text" }], 'prompt[0] (type "text") needs text: a string, got undefined'],
    [[{ type: "text", text: "a" }, { type: "text", text: 7 }], 'prompt[1] (type "text") needs text: a string, got a number (7)'],
    [{ type: "text" }, 'prompt (type "text") needs text: a string, got undefined'],
    [[{ type: "markdown", text: "# hi" }], 'prompt[0] has an unknown type "markdown" (expected one of: text, image, audio, resource_link, resource)'],
    [[{ text: "hi" }], "prompt[0] has no type (expected one of: text, image, audio, resource_link, resource)"],
    [[{ type: "image", data: "AA==" }], 'prompt[0] (type "image") needs mimeType: a string, got undefined'],
    [[{ type: "resource_link", uri: "file:///a" }], 'prompt[0] (type "resource_link") needs name: a string, got undefined'],
    [[{ type: "resource", resource: { uri: "file:///a" } }], 'prompt[0] (type "resource") needs resource: an object with a string uri and a string text or blob, got an object'],
    [[null], 'prompt[0] must be a content block ({ type: "text", text: "..." }), got null'],
    [[["hi"]], "prompt[0] must be a content block"],
    [["x".repeat(500)], `text: "${"x".repeat(40)}..." }`],
  ])("refuses %j in under 10 ms, naming what is wrong", (input, message) => {
    // The fastest of three runs: what the check costs, not a busy machine's scheduling.
    let error: unknown;
    let ms = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      try {
        toPromptBlocks(input as PromptInput);
      } catch (caught) {
        error ??= caught;
      }
      ms = Math.min(ms, performance.now() - started);
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe("client.invalid_options");
    expect((error as Error).message).toContain(message);
    expect((error as Error).message.startsWith("Session.prompt: ")).toBe(true);
    expect(ms).toBeLessThan(10);
  });
});
