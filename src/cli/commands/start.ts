import { start } from "../../action/start-check.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const startCommand = defineCommand({
  name: "start",
  hook: true,
  help: "create the IPv4 and IPv6 IP host groups if missing",
  options: ["configfile", "dry-run"],
  parse: (line) => ({ configFile: line.configFile, dryRun: line.dryRun }),
  run: (args, context) => withSession(context, { ...args, hook: true }, start),
});
