import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const listCommand = defineCommand({
  name: "list",
  hook: false,
  synopsis: "[--json]",
  help: "what is on the firewall, the jails that hold it, and drift from local state",
  options: ["configfile", "json", "firewall"],
  parse: (line) => ({
    configFile: line.configFile,
    dryRun: line.dryRun,
    json: line.json,
    firewall: line.firewall,
  }),
  run: (args, context) =>
    withSession(context, { ...args, hook: false, eachFirewall: { json: args.json } }, async (session) => {
      if (session.config.fleet)
        return (await import("../../fleet/command.ts")).fleetView(session, "list", args.json);
      const { list } = await import("../../ops/list.ts");
      return list(session, { json: args.json });
    }),
});
