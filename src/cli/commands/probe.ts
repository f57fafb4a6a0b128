import type { OwnArgvCommand } from "../command.ts";

export const probeCommand: OwnArgvCommand<"probe"> = {
  name: "probe",
  hook: false,
  argv: "own",
  synopsis: "--yes [--json F]",
  help: "measure what this firewall answers to the emulator's open questions (docs/probe.md)",
  options: [],
  async runWithArgv(argv) {
    // Lazy, its own bundle (dist/probe.mjs): never loaded on the per-ban path.
    const { runProbeCommand } = await import("../../probe/command.ts");
    return runProbeCommand(argv, {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  },
};
