/**
 * The manual page (roff, section 1), derived from the same command and option tables as
 * `--help`. scripts/man.mjs writes it to dist/f2b-sophosxg.1 at build time.
 */
import { CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH } from "../config/paths.ts";
import type { Command } from "./command.ts";
import { OPTION_NAMES, OPTIONS, type OptionName, type OptionSpec } from "./options.ts";
import { STATE_DIR_ENV_VAR } from "./state-dir.ts";
import { COMMANDS } from "./table.ts";
import { ENVIRONMENT, SUMMARY } from "./usage.ts";

/** Text safe in roff: backslashes and hyphens escaped, no line starting with a control character. */
export function roffText(text: string): string {
  const escaped = text.replaceAll("\\", "\\e").replaceAll("-", "\\-");
  return escaped.replace(/^([.'])/gm, "\\&$1");
}

function optionTerm(name: OptionName): string {
  const spec: OptionSpec = OPTIONS[name];
  const long = `\\fB${roffText(`--${name}`)}\\fR`;
  const withValue = spec.value === undefined ? long : `${long} \\fI${roffText(spec.value)}\\fR`;
  return spec.short === undefined ? withValue : `\\fB${roffText(`-${spec.short}`)}\\fR, ${withValue}`;
}

function commandEntry(command: Command): string[] {
  const synopsis = command.synopsis === undefined ? "" : ` ${roffText(command.synopsis)}`;
  const uses = command.options.filter((name) => name !== "help" && name !== "version");
  return [
    ".TP",
    `\\fB${roffText(command.name)}\\fR${synopsis}`,
    `${roffText(command.help)}.`,
    ...(uses.length > 0
      ? [".br", `Options: ${uses.map((name) => `\\fB${roffText(`--${name}`)}\\fR`).join(", ")}.`]
      : []),
  ];
}

export function manual(version: string): string {
  const commands: readonly Command[] = COMMANDS;
  return [
    `.TH F2B\\-SOPHOSXG 1 "" "f2b\\-sophosxg ${roffText(version)}" "User Commands"`,
    ".SH NAME",
    `f2b\\-sophosxg \\- ${roffText(SUMMARY.replace(/\.$/, ""))}`,
    ".SH SYNOPSIS",
    ".B f2b\\-sophosxg",
    ".I command",
    ".RI [ options ]",
    ".SH DESCRIPTION",
    roffText(
      "Fail2ban runs the actions through action.d/sophosxg.conf; each journals the change durably " +
        "and delivers it to the firewall, or leaves it to the agent when one runs. The operations " +
        "are for people and for systemd.",
    ),
    ".SH FAIL2BAN ACTIONS",
    ...commands.filter((c) => c.hook).flatMap(commandEntry),
    ".SH OPERATIONS",
    ...commands.filter((c) => !c.hook).flatMap(commandEntry),
    ".SH OPTIONS",
    ...OPTION_NAMES.flatMap((name) => [".TP", optionTerm(name), `${roffText(OPTIONS[name].help)}.`]),
    ".SH ENVIRONMENT",
    ...ENVIRONMENT.flatMap(([name, text]) => [".TP", `\\fB${roffText(name)}\\fR`, `${roffText(text)}.`]),
    ".SH EXIT STATUS",
    ".TP",
    ".B 0",
    "Done, or the change is safely journaled and will be delivered.",
    ".TP",
    ".B 1",
    "The firewall, the network or our own storage failed.",
    ".TP",
    ".B 2",
    "Bad command line or configuration; nothing was sent and nothing was written.",
    ".SH FILES",
    ".TP",
    `.I ${roffText(DEFAULT_CONFIG_PATH)}`,
    `The configuration (JSON, mode 0600); \\fB${roffText(CONFIG_ENV_VAR)}\\fR or \\fB\\-\\-configfile\\fR name another.`,
    ".TP",
    ".I /var/lib/f2b\\-sophosxg",
    `The state directory: the journal, the locks and the status file (\\fB${roffText(STATE_DIR_ENV_VAR)}\\fR).`,
    ".SH SEE ALSO",
    ".BR fail2ban\\-client (1),",
    ".BR jail.conf (5)",
    "",
  ].join("\n");
}
