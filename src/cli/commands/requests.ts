/** What ban and unban take from the command line (shared with the hook's fast path). */
import type { BanRequest, UnbanRequest } from "../../action/intent.ts";
import type { BanTarget } from "../../address/index.ts";
import { UsageError } from "../../errors/base.ts";
import type { CommandLine } from "../command.ts";

/** The jail a ban belongs to when the caller names none (the original's command line). */
export const DEFAULT_JAIL = "default";

/** The `--ip` that parsing has required for this command (a scoped option, see options.ts). */
function targetOf(line: CommandLine, command: string): BanTarget {
  if (line.target === undefined) throw new UsageError(`${command} needs --ip`);
  return line.target;
}

export function banRequestOf(line: CommandLine): BanRequest {
  return {
    target: targetOf(line, "ban"),
    jail: line.jail ?? DEFAULT_JAIL,
    ...(line.time !== undefined ? { time: line.time } : {}),
    ...(line.bantime !== undefined ? { bantime: line.bantime } : {}),
  };
}

export function unbanRequestOf(line: CommandLine): UnbanRequest {
  return { target: targetOf(line, "unban"), jail: line.jail ?? DEFAULT_JAIL };
}
