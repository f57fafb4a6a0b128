import { redactSecrets } from "../../errors/base.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const agentCommand = defineCommand({
  name: "agent",
  hook: false,
  help: "run the delivery agent in the foreground (systemd: systemd/f2b-sophosxg.service)",
  options: ["configfile"],
  parse: (line) => ({ configFile: line.configFile, dryRun: line.dryRun, firewall: line.firewall }),
  run: (args, context) =>
    withSession(context, { ...args, hook: false }, async (session) => {
      // Lazy: the agent's loop never loads on the per-ban path.
      const { runAgent } = await import("./agent-run.ts");
      // The agent logs for as long as it runs: not through the capped hook output.
      const code = await runAgent(session, (line) => process.stderr.write(`${redactSecrets(line)}\n`));
      return { exitCode: code === 0 ? 0 : 1, lines: [] };
    }),
});
