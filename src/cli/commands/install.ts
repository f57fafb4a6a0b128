import { defineCommand } from "../command.ts";
import { printOutcome } from "../session-run.ts";

/** Runs without a config: it writes the template. */
export const installCommand = defineCommand({
  name: "install",
  hook: false,
  synopsis: "[--root DIR]",
  help: "install the CLI, the action file, a config template and the systemd units",
  options: ["root", "dry-run"],
  parse: (line) => ({ root: line.root ?? "/", dryRun: line.dryRun }),
  run: (args, context) =>
    printOutcome(context, async () => {
      const { install } = await import("../../ops/install.ts");
      return install({ root: args.root, dryRun: args.dryRun, print: context.output.out });
    }),
});
