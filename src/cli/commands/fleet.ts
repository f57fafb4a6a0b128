import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

/** `fleet status` and `fleet leave` (docs/fleet.md); the fleet's code is its own bundle. */
export const fleetCommand = defineCommand({
  name: "fleet",
  hook: false,
  synopsis: "status|leave [--member NAME --yes]",
  help: "a fleet member: Redis, pusher and members; leave releases this host's (or a gone member's) holds (docs/fleet.md)",
  subcommands: ["status", "leave"],
  options: ["configfile", "member", "yes"],
  parse: (line) => ({
    configFile: line.configFile,
    dryRun: line.dryRun,
    subcommand: line.subcommand,
    member: line.member,
    yes: line.yes,
  }),
  run: (args, context) =>
    withSession(context, { ...args, hook: false }, async (session) => {
      const { fleetCommand: run } = await import("../../fleet/command.ts");
      return run(session, args.subcommand, { member: args.member, yes: args.yes });
    }),
});
