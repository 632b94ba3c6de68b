import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Services the suites need (PostgreSQL) are started once here and stopped afterwards.
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/no-unhandled-rejections.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
