import { SingleBar } from "cli-progress";
import type { Output } from "./output.js";

// A progress bar on stderr, only on a terminal and never in `--json` mode; elsewhere every
// call is a no-op, so piped output and scripts see results only.

/** Progress of a long command. */
export interface Progress {
  /** Set the total once it is known. */
  start(total: number, label: string): void;
  /** Advance by `sessions` done, with the running count of events (and of agent state files). */
  tick(sessions: number, events: number, files?: number): void;
  /** Remove the bar. */
  stop(): void;
}

/** A bar when the output is interactive, a silent stand-in otherwise. */
export function progressFor(out: Output): Progress {
  if (!out.interactive) return { start() {}, tick() {}, stop() {} };
  const bar = new SingleBar({
    format: "{label} [{bar}] {value}/{total} sessions | {events} events | {rate} ev/s | {files} state files | {duration_formatted}",
    hideCursor: true,
    stream: process.stderr,
  });
  let began = Date.now();
  let done = 0;
  let running = false;
  return {
    start(total, label) {
      began = Date.now();
      done = 0;
      bar.start(total, 0, { label, events: 0, rate: 0, files: 0 });
      running = true;
    },
    tick(sessions, events, files) {
      done += sessions;
      const seconds = (Date.now() - began) / 1000;
      bar.update(done, { events, rate: seconds > 0 ? Math.round(events / seconds) : 0, ...(files === undefined ? {} : { files }) });
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
