import { check } from "../../action/start-check.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const checkCommand = defineCommand({
  name: "check",
  hook: true,
  help: "check reachability, login, read access and the groups",
  options: ["configfile", "dry-run", "firewall"],
  parse: (line) => ({ configFile: line.configFile, dryRun: line.dryRun, firewall: line.firewall }),
  // Only reads the firewall: no state directory is created.
  run: (args, context) =>
    withSession(context, { ...args, hook: true, stateDir: false, eachFirewall: { json: false } }, check),
});
