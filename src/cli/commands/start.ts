import { start } from "../../action/start-check.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const startCommand = defineCommand({
  name: "start",
  hook: true,
  help: "create the IPv4 and IPv6 IP host groups if missing",
  options: ["configfile", "dry-run", "firewall"],
  parse: (line) => ({ configFile: line.configFile, dryRun: line.dryRun, firewall: line.firewall }),
  run: (args, context) => withSession(context, { ...args, hook: true, eachFirewall: { json: false } }, start),
});
