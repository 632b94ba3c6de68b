import { closeSync, fstatSync, ftruncateSync, openSync, statSync } from "node:fs";
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
  /** The file's size at the last refresh. */
  #size = 0;
  /** Handle for reading and appending, while the file is the one of `#ino`. */
  #fd: number | undefined;

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
      this.close();
      this.#ino = ino;
      this.#consumed = 0;
      this.onReset();
    }
    this.#size = size;
    if (size === this.#consumed) return;
    const chunk = readAt(this.#handle(), this.#consumed, size - this.#consumed);
    const end = chunk.lastIndexOf(10) + 1;
    let at = 0;
    while (at < end) {
      const newline = chunk.indexOf(10, at);
      this.onLine(JSON.parse(chunk.toString("utf8", at, newline)));
      at = newline + 1;
    }
    this.#consumed += end;
  }

  /**
   * Writer only, under the store's lock: catch up (unless `refreshed`: the caller did, under
   * the same hold of the lock), cut a torn last line, then append `values` as lines in one
   * write and hand them over.
   */
  append(values: readonly unknown[], refreshed = false): void {
    if (!refreshed) this.refresh();
    const fd = this.#handle();
    if (this.#size > this.#consumed) ftruncateSync(fd, this.#consumed);
    const text = values.map((value) => `${JSON.stringify(value)}\n`).join("");
    const bytes = Buffer.from(text, "utf8");
    writeAll(fd, bytes, null);
    if (this.#ino === -1) this.#ino = fstatSync(fd).ino;
    for (const value of values) this.onLine(value);
    this.#consumed += bytes.length;
    this.#size = this.#consumed;
  }

  /** Close the handle. */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** The handle (opened for appending, created when missing). */
  #handle(): number {
    this.#fd ??= openSync(this.path, "a+");
    return this.#fd;
  }
}
