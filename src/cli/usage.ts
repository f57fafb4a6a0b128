/** `--help`, derived from the command table and the option table. */
import { CONFIG_ENV_VAR } from "../config/paths.ts";
import type { Command } from "./command.ts";
import { OPTION_NAMES, OPTIONS, type OptionSpec, optionLabel } from "./options.ts";
import { STATE_DIR_ENV_VAR } from "./state-dir.ts";
import { COMMANDS } from "./table.ts";

const COLUMN = 23;

function row(left: string, right: string): string {
  return `  ${left.padEnd(COLUMN - 1)} ${right}`;
}

/** `ban    --ip IP`: the synopses of Fail2ban's actions line up after the longest name. */
function commandRows(commands: readonly Command[], alignSynopsis: boolean): string[] {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return commands.map((c) => {
    const left =
      c.synopsis === undefined
        ? c.name
        : alignSynopsis
          ? c.name.padEnd(width) + c.synopsis
          : `${c.name} ${c.synopsis}`;
    return row(left, c.help);
  });
}

export const ENVIRONMENT: ReadonlyArray<[string, string]> = [
  [CONFIG_ENV_VAR, "config file when --configfile is not given"],
  [STATE_DIR_ENV_VAR, "state directory when the config has no state_dir (default /var/lib/f2b-sophosxg)"],
];

export const EXIT_CODES =
  "Exit codes: 0 done or safely journaled, 1 firewall/network/storage failure, 2 usage or configuration error.";

export const SUMMARY = "Fail2ban ban action for the Sophos Firewall (XG/XGS, SFOS) XML API.";

export function usage(): string {
  const commands: readonly Command[] = COMMANDS;
  const listed = OPTION_NAMES.filter((name) => (OPTIONS[name] as OptionSpec).listed !== false);
  return [
    "Usage: f2b-sophosxg <command> [options]",
    "",
    SUMMARY,
    "",
    "Fail2ban actions (called by action.d/sophosxg.conf):",
    ...commandRows(
      commands.filter((c) => c.hook),
      true,
    ),
    "",
    "Operations:",
    ...commandRows(
      commands.filter((c) => !c.hook),
      false,
    ),
    "",
    "Options:",
    ...listed.map((name) => row(optionLabel(name), OPTIONS[name].help)),
    "",
    "Environment:",
    ...ENVIRONMENT.map(([name, text]) => row(name, text)),
    "",
    EXIT_CODES,
  ].join("\n");
}
