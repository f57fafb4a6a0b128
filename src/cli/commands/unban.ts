import { unban } from "../../action/ban.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";
import { unbanRequestOf } from "./requests.ts";

export const unbanCommand = defineCommand({
  name: "unban",
  hook: true,
  synopsis: "--ip IP",
  help: "release IP (removed when no jail holds it any more)",
  options: ["ip", "configfile", "jail", "family", "dry-run"],
  parse: (line) => ({
    configFile: line.configFile,
    dryRun: line.dryRun,
    request: unbanRequestOf(line),
  }),
  run: (args, context) =>
    withSession(context, { ...args, hook: true }, (session) => unban(session, args.request)),
});
