// Server-Sent Events framing for test tools: split a byte stream into raw frames (text up
// to and including the blank line that ends each one, line endings kept as sent, across any
// chunk boundaries) and read a frame's fields.

/** The fields of one SSE frame. */
export interface ParsedSseFrame {
  /** The `id:` field (last one wins), if present. */
  id: string | undefined;
  /** The `event:` field, if present. */
  event: string | undefined;
  /** The `data:` lines joined with `\n` (empty when none). */
  data: string;
}

/** Reads the fields of a raw frame; comment lines (`: heartbeat`) and unknown fields are ignored. */
export function parseSseFrame(raw: string): ParsedSseFrame {
  const frame: ParsedSseFrame = { id: undefined, event: undefined, data: "" };
  const data: string[] = [];
  for (const line of raw.split(/\r\n|\r|\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) frame.id = value;
    else if (field === "event") frame.event = value;
  }
  frame.data = data.join("\n");
  return frame;
}

/** Splits SSE bytes into raw frames, whatever the chunk boundaries (even inside a character or a CRLF). */
export class SseFrameSplitter {
  private readonly decoder = new TextDecoder();
  private pending = "";
  private frame = "";

  /** Feeds one chunk; returns the frames it completed. */
  push(chunk: Uint8Array): string[] {
    this.pending += this.decoder.decode(chunk, { stream: true });
    return this.split(false);
  }

  /** The input ended: returns the last complete frames and, as `tail`, any unterminated text left. */
  end(): { frames: string[]; tail: string } {
    this.pending += this.decoder.decode();
    const frames = this.split(true);
    const tail = this.frame + this.pending;
    this.frame = "";
    this.pending = "";
    return { frames, tail };
  }

  private split(ended: boolean): string[] {
    const frames: string[] = [];
    const text = this.pending;
    let at = 0;
    // Next CR and LF positions, searched again only once passed (a stream without CRs must
    // not rescan the rest of the text for every line).
    let cr = -2;
    let lf = -2;
    for (;;) {
      if (cr !== -1 && cr < at) cr = text.indexOf("\r", at);
      if (lf !== -1 && lf < at) lf = text.indexOf("\n", at);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      // A CR as the last character may be the first half of a CRLF still to come.
      if (text[end] === "\r" && end === text.length - 1 && !ended) break;
      const next = text[end] === "\r" && text[end + 1] === "\n" ? end + 2 : end + 1;
      this.frame += text.slice(at, next);
      if (end === at) {
        // A blank line ends the frame.
        frames.push(this.frame);
        this.frame = "";
      }
      at = next;
    }
    this.pending = text.slice(at);
    return frames;
  }
}
