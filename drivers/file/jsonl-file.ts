import { closeSync, ftruncateSync, openSync, statSync } from "node:fs";
import { errno, readAt, writeAll } from "./io.js";

/**
 * An append-only file of JSON lines that several processes share (the listing index, a
 * registry bucket), followed from its size: {@link JsonlFile.refresh} hands over the whole
 * lines added since the last call, and starts over when the file was replaced (a new inode)
 * or removed. A torn last line (a writer killed mid-write) is never handed over, and the
 * next writer, holding the store's lock, cuts it before appending.
 */
export class JsonlFile {
  #ino = -1;
  /** Bytes handed over so far (whole lines). */
  #consumed = 0;

  /**
   * @param path the file.
   * @param onLine receives each new line, parsed.
   * @param onReset called when the file was replaced or removed: forget what was handed over.
   */
  constructor(
    readonly path: string,
    private readonly onLine: (value: unknown) => void,
    private readonly onReset: () => void,
  ) {}

  /** Hand over the whole lines added since the last call. */
  refresh(): void {
    let ino: number;
    let size: number;
    try {
      ({ ino, size } = statSync(this.path));
    } catch (error) {
      if (errno(error) !== "ENOENT") throw error;
      ino = -1;
      size = 0;
    }
    if (ino !== this.#ino || size < this.#consumed) {
      this.#ino = ino;
      this.#consumed = 0;
      this.onReset();
    }
    if (size === this.#consumed) return;
    const fd = openSync(this.path, "r");
    let chunk: Buffer;
    try {
      chunk = readAt(fd, this.#consumed, size - this.#consumed);
    } finally {
      closeSync(fd);
    }
    const end = chunk.lastIndexOf(10) + 1;
    let at = 0;
    while (at < end) {
      const newline = chunk.indexOf(10, at);
      this.onLine(JSON.parse(chunk.toString("utf8", at, newline)));
      at = newline + 1;
    }
    this.#consumed += end;
  }

  /** Writer only, under the store's lock: cut a torn last line, then append `values` as lines in one write. */
  append(values: readonly unknown[]): void {
    this.refresh();
    const fd = openSync(this.path, "a+");
    try {
      const size = statSync(this.path).size;
      if (size > this.#consumed) ftruncateSync(fd, this.#consumed);
      const text = values.map((value) => `${JSON.stringify(value)}\n`).join("");
      writeAll(fd, Buffer.from(text, "utf8"), null);
    } finally {
      closeSync(fd);
    }
    if (this.#ino === -1) this.#ino = statSync(this.path).ino;
    // Hand the new lines over like any other, so that every process sees one history.
    this.refresh();
  }
}
