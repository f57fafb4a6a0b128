import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const syncCommand = defineCommand({
  name: "sync",
  hook: false,
  synopsis: "[--from-fail2ban]",
  help: "make the firewall equal to the desired state (--dry-run shows the plan; --remove-ours retires --firewall NAME)",
  options: ["configfile", "from-fail2ban", "dry-run", "firewall", "remove-ours"],
  parse: (line) => ({
    configFile: line.configFile,
    dryRun: line.dryRun,
    fromFail2ban: line.fromFail2ban,
    firewall: line.firewall,
    removeOurs: line.removeOurs,
  }),
  // --dry-run is sync's own: it reads the firewall and prints the plan.
  run: (args, context) =>
    withSession(
      context,
      { ...args, hook: false, dryRunTarget: false, eachFirewall: { json: false } },
      async (session, index) => {
        if (args.removeOurs) {
          const { removeOurs } = await import("../../action/remove-ours.ts");
          return removeOurs(session, { dryRun: args.dryRun, named: args.firewall !== undefined });
        }
        const { sync } = await import("../../action/sync.ts");
        return sync(session, {
          // The desired state is shared: --from-fail2ban rebuilds it once, with the first firewall.
          fromFail2ban: args.fromFail2ban && index === 0,
          dryRun: args.dryRun,
          print: context.output.out,
        });
      },
    ),
});
