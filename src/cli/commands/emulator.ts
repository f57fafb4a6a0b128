import type { OwnArgvCommand } from "../command.ts";

export const emulatorCommand: OwnArgvCommand<"emulator"> = {
  name: "emulator",
  hook: false,
  argv: "own",
  synopsis: "[--help]",
  help: "run the embedded Sophos Firewall API emulator",
  options: [],
  async runWithArgv(argv) {
    // Lazy: the emulator (certificate generation, HTTP server) never loads on the per-ban path.
    const { runEmulatorCommand } = await import("../../emulator/command.ts");
    return runEmulatorCommand(argv, {
      stdout: (line) => process.stdout.write(`${line}\n`),
      stderr: (line) => process.stderr.write(`${line}\n`),
    });
  },
};
