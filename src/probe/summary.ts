/** The probe's human summary: one line per step, then the emulator switches it implies. */
import type { ProbeReport } from "./report.ts";
import { PROBE_STEPS } from "./steps.ts";

export function summaryLines(report: ProbeReport): string[] {
  const lines = [
    `probe: APIVersion ${report.apiVersion ?? "unknown"}, ${report.steps.length} steps in ${report.durationMs} ms`,
  ];
  for (const s of report.steps) {
    const question = PROBE_STEPS.find((p) => p.id === s.id)?.question ?? "";
    const answer =
      s.error !== undefined
        ? `FAILED: ${s.error}`
        : [s.code, s.text].filter((x) => x !== undefined).join(" ");
    const facts = s.facts && Object.keys(s.facts).length > 0 ? ` ${JSON.stringify(s.facts)}` : "";
    lines.push(
      `  ${s.id.padEnd(20)} ${String(s.ms).padStart(6)} ms  ${answer}${facts}${question && question !== "-" ? `  [${question}]` : ""}`,
    );
  }
  const behaviour = (report.profile.behaviour ?? {}) as Record<string, unknown>;
  lines.push("emulator switches measured (f2b-sophosxg emulator --profile <the --json file>):");
  for (const [key, value] of Object.entries(behaviour)) lines.push(`  ${key} = ${JSON.stringify(value)}`);
  if (report.leftBehind.length > 0)
    lines.push(`left on the firewall (removed by the next probe run): ${report.leftBehind.join(", ")}`);
  lines.push(report.complete ? "probe: complete" : `probe: stopped: ${report.stoppedBecause}`);
  return lines;
}

export function planLines(probePrefix: string): string[] {
  return [
    `probe plan (dry run, nothing sent); objects are named ${probePrefix}…`,
    ...PROBE_STEPS.map((s) => `  ${s.id.padEnd(20)} ${s.does.replaceAll("<probe>", probePrefix)}`),
  ];
}
