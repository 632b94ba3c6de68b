// The lines the agent state process tests append (agent-state-worker.ts) and check.

/** A line of `name`: long enough (about 1 KB) that a torn write would show. */
export function lineOf(name: string, n: number): string {
  return `${name} ${n} ${"x".repeat(1000 + (n % 17))}\n`;
}

/** Whether `text` is a run of whole lines made by {@link lineOf}. */
export function wholeLines(text: string): boolean {
  if (text === "") return true;
  if (!text.endsWith("\n")) return false;
  return text
    .slice(0, -1)
    .split("\n")
    .every((line) => {
      const [name, n, pad] = line.split(" ");
      return name !== undefined && n !== undefined && pad === "x".repeat(1000 + (Number(n) % 17));
    });
}
