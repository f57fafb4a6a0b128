import { flush } from "../../action/flush.ts";
import { defineCommand } from "../command.ts";
import { withSession } from "../session-run.ts";

export const flushCommand = defineCommand({
  name: "flush",
  hook: true,
  help: "release every hold of --jail (all jails without it) for --family",
  options: ["configfile", "jail", "family", "dry-run"],
  parse: (line) => ({
    configFile: line.configFile,
    dryRun: line.dryRun,
    request: {
      ...(line.jail !== undefined ? { jail: line.jail } : {}),
      ...(line.family ? { family: line.family } : {}),
    },
  }),
  run: (args, context) =>
    withSession(context, { ...args, hook: true }, (session) => flush(session, args.request)),
});
