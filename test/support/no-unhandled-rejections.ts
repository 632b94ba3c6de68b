// The SDK promises that no unhandled rejection ever escapes it. Every test file runs with
// this handler, so a leaked rejection fails the run instead of being printed and ignored.
const leaked: unknown[] = [];
const onRejection = (reason: unknown) => {
  leaked.push(reason);
};
process.on("unhandledRejection", onRejection);

import { afterAll, afterEach } from "vitest";

afterEach(() => {
  if (leaked.length > 0) {
    const reasons = leaked.splice(0);
    throw new Error(`Unhandled rejection escaped during the test: ${reasons.map(String).join("; ")}`);
  }
});

afterAll(() => {
  process.off("unhandledRejection", onRejection);
});
