import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const syncCommand = defineCommand({
  name: "sync",
  hook: false,
  synopsis: "[--from-fail2ban]",
  help: "make the firewall equal to the desired state (--dry-run shows the plan)",
  options: ["configfile", "from-fail2ban", "dry-run"],
  parse: (line) => ({ configFile: line.configFile, dryRun: line.dryRun, fromFail2ban: line.fromFail2ban }),
  // --dry-run is sync's own: it reads the firewall and prints the plan.
  run: (args, context) =>
    withSession(context, { ...args, hook: false, dryRunTarget: false }, async (session) => {
      const { sync } = await import("../../action/sync.ts");
      return sync(session, {
        fromFail2ban: args.fromFail2ban,
        dryRun: args.dryRun,
        print: context.output.out,
      });
    }),
});
