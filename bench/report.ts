import type { BenchResults, MetricResult, WorkloadResult } from "./results.js";
import type { RawBaselineKey } from "./types.js";

// Turns results into tables: aligned plain text for the terminal, Markdown for the docs.
// Every cell is a median over the runs.

/** One table: a heading, column names and rows of formatted cells. */
export interface Section {
  heading: string;
  headers: string[];
  rows: string[][];
  note?: string;
  /** How many leading columns hold text (left-aligned); the rest are figures. Default 1. */
  textColumns?: number;
}

const BASELINE_HEADER: Record<RawBaselineKey, string> = { single: "vs raw 1-row", batch: "vs raw batch" };

/** A figure formatted for reading: thousands separators, fewer decimals as it grows. */
export function formatValue(value: number, unit: MetricResult["unit"]): string {
  if (unit === "ev/s" || unit === "rec/s") return Math.round(value).toLocaleString("en-US");
  if (unit === "MB") return value.toFixed(1);
  if (unit === "KB") return value < 10 ? value.toFixed(2) : value.toFixed(1);
  if (unit === "x") return `${value.toFixed(2)}x`;
  if (value < 1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString("en-US");
}

const formatRatio = (ratio: number | undefined) => (ratio === undefined ? "-" : `${ratio.toFixed(ratio < 10 ? 2 : 1)}x`);

/** Headers and cells of several subjects' results for one workload (union of their metrics). */
function workloadSection(heading: string, subjectHeader: string, subjects: [string, WorkloadResult | undefined][]): Section {
  const columns: { key: string; label: string; unit: MetricResult["unit"] }[] = [];
  const ratioColumns: { key: string; baseline: RawBaselineKey }[] = [];
  for (const [, result] of subjects) {
    for (const [key, metric] of Object.entries(result?.metrics ?? {})) {
      if (!columns.some((c) => c.key === key)) columns.push({ key, label: metric.label, unit: metric.unit });
      for (const baseline of Object.keys(metric.ratios ?? {}) as RawBaselineKey[]) {
        if (!ratioColumns.some((c) => c.key === key && c.baseline === baseline)) ratioColumns.push({ key, baseline });
      }
    }
  }
  const ratioHeader = (c: { key: string; baseline: RawBaselineKey }) =>
    columns.length > 1 ? `${columns.find((col) => col.key === c.key)?.label} ${BASELINE_HEADER[c.baseline]}` : BASELINE_HEADER[c.baseline];
  const rows = subjects.map(([name, result]) => {
    if (result?.error && Object.keys(result.metrics).length === 0) {
      return [name, `failed: ${result.error}`, ...Array<string>(columns.length + ratioColumns.length - 1).fill("")];
    }
    return [
      name + (result?.error ? " (failed in a later run)" : ""),
      ...columns.map((c) => {
        const m = result?.metrics[c.key];
        return m ? formatValue(m.median, m.unit) : "-";
      }),
      ...ratioColumns.map((c) => formatRatio(result?.metrics[c.key]?.ratios?.[c.baseline])),
    ];
  });
  return { heading, headers: [subjectHeader, ...columns.map((c) => c.label), ...ratioColumns.map(ratioHeader)], rows };
}

/** Every table of a results document, in print order. */
export function sections(results: BenchResults): Section[] {
  const out: Section[] = [];
  const rawRows: string[][] = [];
  for (const [engine, raw] of Object.entries(results.raw)) {
    if (raw.error) rawRows.push([engine, "-", `not run: ${raw.error}`, ""]);
    for (const [key, r] of Object.entries(raw.baselines)) {
      rawRows.push([engine, key === "single" ? "1-row" : "batch", r.description, formatValue(r.median, "ev/s")]);
    }
  }
  if (rawRows.length > 0) {
    out.push({
      heading: "Raw engine baselines (the ratios below are driver / raw)",
      headers: ["engine", "baseline", "what", "ev/s"],
      rows: rawRows,
      textColumns: 3,
    });
  }
  const driverNames = Object.keys(results.drivers);
  for (const workloadId of results.config.workloads) {
    const heading = results.titles[workloadId] ?? workloadId;
    if (results.standalone[workloadId]) {
      const s = results.standalone[workloadId];
      const section = workloadSection(heading, "subject", Object.entries(s.subjects));
      if (s.error) section.note = `failed: ${s.error}`;
      out.push(section);
      continue;
    }
    const subjects = driverNames
      .map((name) => [name, results.drivers[name]?.workloads[workloadId]] as [string, WorkloadResult | undefined])
      .filter(([, r]) => r !== undefined);
    if (subjects.length > 0) out.push(workloadSection(heading, "driver", subjects));
  }
  const memoryIds = [...new Set(Object.values(results.memory.drivers).flatMap((byWorkload) => Object.keys(byWorkload)))];
  for (const workloadId of memoryIds) {
    const subjects = Object.entries(results.memory.drivers)
      .map(([name, byWorkload]) => [name, byWorkload[workloadId]] as [string, WorkloadResult | undefined])
      .filter(([, r]) => r !== undefined);
    out.push({
      ...workloadSection(`Peak memory of ${workloadId.toUpperCase()}`, "driver", subjects),
      note: `Measured in a ${results.memory.method}.`,
    });
  }
  return out;
}

/** One-line description of where and how the figures were taken. */
export function headline(results: BenchResults): string {
  const m = results.machine;
  return (
    `${results.date}; ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}; ` +
    `median of ${results.config.runs} run(s), scale ${results.config.scale}; load average at start ${m.loadAverage1mAtStart}`
  );
}

/** Aligned plain-text tables for the terminal. */
export function renderText(results: BenchResults): string {
  const lines = [`durable-agent bench: ${headline(results)}`, ""];
  for (const section of sections(results)) {
    lines.push(section.heading);
    const widths = section.headers.map((h, i) => Math.max(h.length, ...section.rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) =>
      "  " + cells.map((cell, i) => (i < (section.textColumns ?? 1) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ").trimEnd();
    lines.push(line(section.headers));
    for (const row of section.rows) lines.push(line(row));
    if (section.note) lines.push(`  ${section.note}`);
    lines.push("");
  }
  if (results.notes.length > 0) lines.push("Notes:", ...results.notes.map((n) => `  - ${n}`), "");
  return lines.join("\n");
}

/** Markdown tables for docs/benchmarks.md. */
export function renderMarkdown(results: BenchResults): string {
  const lines = [`Taken ${headline(results)}.`, ""];
  for (const section of sections(results)) {
    lines.push(`**${section.heading}**`, "");
    lines.push(`| ${section.headers.join(" | ")} |`);
    lines.push(`|${section.headers.map((_, i) => (i < (section.textColumns ?? 1) ? "---" : "---:")).join("|")}|`);
    for (const row of section.rows) lines.push(`| ${row.join(" | ")} |`);
    if (section.note) lines.push("", section.note);
    lines.push("");
  }
  if (results.notes.length > 0) lines.push(...results.notes.map((n) => `- ${n}`), "");
  return lines.join("\n");
}
