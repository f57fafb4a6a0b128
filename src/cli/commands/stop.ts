import { stop } from "../../action/start-check.ts";
import { defineCommand } from "../command.ts";
import { printOutcome } from "../session-run.ts";

/** Needs no config: there is nothing to do, and Fail2ban's stop must never fail on a bad one. */
export const stopCommand = defineCommand({
  name: "stop",
  hook: true,
  help: "change nothing on the firewall (the groups are used in rules)",
  options: [],
  parse: () => ({}),
  run: (_args, context) => printOutcome(context, async () => stop()),
});
