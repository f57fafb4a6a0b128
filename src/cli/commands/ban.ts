import { ban } from "../../action/ban.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";
import { banRequestOf } from "./requests.ts";

export const banCommand = defineCommand({
  name: "ban",
  hook: true,
  synopsis: "--ip IP",
  help: "block IP (IPv4, IPv6 or CIDR) through the family's group",
  options: ["ip", "configfile", "jail", "family", "time", "bantime", "restored", "dry-run"],
  parse: (line) => ({
    configFile: line.configFile,
    dryRun: line.dryRun,
    request: banRequestOf(line),
  }),
  run: (args, context) =>
    withSession(context, { ...args, hook: true }, (session) => ban(session, args.request)),
});
