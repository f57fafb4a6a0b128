import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const statusCommand = defineCommand({
  name: "status",
  hook: false,
  synopsis: "[--json]",
  help: "pending changes, last delivery, last error, members per group",
  options: ["configfile", "json", "firewall"],
  parse: (line) => ({
    configFile: line.configFile,
    dryRun: line.dryRun,
    json: line.json,
    firewall: line.firewall,
  }),
  run: (args, context) =>
    withSession(context, { ...args, hook: false, eachFirewall: { json: args.json } }, async (session) => {
      // A fleet member: the fleet's desired state lives in the pusher's journal (docs/fleet.md).
      if (session.config.fleet)
        return (await import("../../fleet/command.ts")).fleetView(session, "status", args.json);
      const { status } = await import("../../action/status.ts");
      return status(session, { json: args.json });
    }),
});
