import type { ContentBlock } from "@agentclientprotocol/sdk";
import { InvalidOptionsError } from "./errors.js";

// What `Session.prompt` accepts, checked before anything is sent: a malformed prompt is
// refused here with the place and the problem named, instead of reaching the agent and coming
// back as an opaque "Invalid params".

/** A prompt: text, one ACP content block, or several. */
export type PromptInput = string | ContentBlock | readonly ContentBlock[];

type Fields = Record<string, unknown>;

const isString = (value: unknown): value is string => typeof value === "string";

// What each block type must carry (ACP's required fields), as `field: description` checks.
const BLOCK_FIELDS: Readonly<Record<ContentBlock["type"], Readonly<Record<string, readonly [(value: unknown) => boolean, string]>>>> = {
  text: { text: [isString, "a string"] },
  image: { data: [isString, "a base64 string"], mimeType: [isString, "a string"] },
  audio: { data: [isString, "a base64 string"], mimeType: [isString, "a string"] },
  resource_link: { uri: [isString, "a string"], name: [isString, "a string"] },
  resource: { resource: [isResourceContents, "an object with a string uri and a string text or blob"] },
};

const BLOCK_TYPES = Object.keys(BLOCK_FIELDS);

function isResourceContents(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { uri, text, blob } = value as Fields;
  return isString(uri) && (isString(text) || isString(blob));
}

/** `text` as a JS string literal, cut short when long. */
const quote = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);

/** A short rendering of a bad value for an error message. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return `a string (${quote(value)})`;
  if (typeof value === "object") return "an object";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `a ${typeof value} (${String(value)})`;
  return typeof value === "undefined" ? "undefined" : `a ${typeof value}`;
}

function fail(problem: string): never {
  throw new InvalidOptionsError(`Session.prompt: ${problem}`);
}

function checkBlock(block: unknown, where: string): ContentBlock {
  if (typeof block === "string") {
    fail(`${where} is a string, not a content block: write { type: "text", text: ${quote(block)} }, or pass the text alone`);
  }
  if (typeof block !== "object" || block === null || Array.isArray(block)) fail(`${where} must be a content block ({ type: "text", text: "..." }), got ${describeValue(block)}`);
  const { type } = block as Fields;
  if (!isString(type) || !Object.hasOwn(BLOCK_FIELDS, type)) {
    fail(`${where} has ${type === undefined ? "no type" : `an unknown type ${JSON.stringify(type)}`} (expected one of: ${BLOCK_TYPES.join(", ")})`);
  }
  for (const [field, [valid, expected]] of Object.entries(BLOCK_FIELDS[type as ContentBlock["type"]])) {
    const value = (block as Fields)[field];
    if (!valid(value)) fail(`${where} (type "${type}") needs ${field}: ${expected}, got ${describeValue(value)}`);
  }
  return block as ContentBlock;
}

/**
 * The ACP content blocks of a prompt: text becomes one text block, a block is wrapped in an
 * array, an array is checked block by block (and copied). Throws {@link InvalidOptionsError}
 * naming what is wrong (`prompt[1] (type "text") needs text: a string, got undefined`) for
 * anything else: a number, an empty string or array, a bare string inside an array, a block
 * of unknown type or without its required fields. Nothing is sent in that case.
 */
export function toPromptBlocks(input: PromptInput): ContentBlock[] {
  const prompt: unknown = input;
  if (typeof prompt === "string") {
    if (prompt.length === 0) fail("prompt is an empty string: nothing to send");
    return [{ type: "text", text: prompt }];
  }
  if (Array.isArray(prompt)) {
    if (prompt.length === 0) fail("prompt is an empty array: give at least one content block");
    return prompt.map((block: unknown, index) => checkBlock(block, `prompt[${index}]`));
  }
  if (typeof prompt === "object" && prompt !== null) return [checkBlock(prompt, "prompt")];
  return fail(`prompt must be text, a content block or an array of content blocks, got ${describeValue(prompt)}`);
}
