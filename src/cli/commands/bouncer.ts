import { redactSecrets } from "../../errors/base.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

/** The agent as a CrowdSec bouncer: no Fail2ban needed (docs/crowdsec.md). */
export const bouncerCommand = defineCommand({
  name: "bouncer",
  hook: false,
  help: "the agent as a CrowdSec bouncer, no Fail2ban needed (docs/crowdsec.md)",
  options: ["configfile"],
  parse: (line) => ({ configFile: line.configFile, dryRun: line.dryRun, firewall: line.firewall }),
  run: (args, context) =>
    withSession(context, { ...args, hook: false }, async (session) => {
      const { runAgent } = await import("./agent-run.ts");
      const code = await runAgent(session, (line) => process.stderr.write(`${redactSecrets(line)}\n`), {
        bouncer: true,
      });
      return { exitCode: code === 0 ? 0 : 1, lines: [] };
    }),
});
