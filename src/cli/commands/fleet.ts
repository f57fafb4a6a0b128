import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

/** `fleet status` and `fleet leave` (docs/fleet.md); the fleet's code is its own bundle. */
export const fleetCommand = defineCommand({
  name: "fleet",
  hook: false,
  synopsis: "status|leave",
  help: "a fleet member: Redis, pusher and members; leave releases this host's holds (docs/fleet.md)",
  subcommands: ["status", "leave"],
  options: ["configfile"],
  parse: (line) => ({ configFile: line.configFile, dryRun: line.dryRun, subcommand: line.subcommand }),
  run: (args, context) =>
    withSession(context, { ...args, hook: false }, async (session) => {
      const { fleetCommand: run } = await import("../../fleet/command.ts");
      return run(session, args.subcommand);
    }),
});
