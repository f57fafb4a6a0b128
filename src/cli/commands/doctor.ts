import { defineCommand } from "../command.ts";
import { printOutcome } from "../session-run.ts";

/** Runs without a (valid) config: diagnosing it is its job. */
export const doctorCommand = defineCommand({
  name: "doctor",
  hook: false,
  help: "walk the whole chain (config, network, TLS, API, login, groups, state, agent, Fail2ban)",
  options: ["configfile", "firewall"],
  parse: (line) => ({ configFile: line.configFile, firewall: line.firewall }),
  run: (args, context) =>
    printOutcome(context, async () => {
      const { doctor } = await import("../../ops/doctor.ts");
      return doctor({
        configFile: args.configFile,
        print: context.output.out,
        ...(args.firewall === undefined ? {} : { firewall: args.firewall }),
      });
    }),
});
