import type { BanTarget } from "../../address/index.ts";
import { UsageError } from "../../errors/base.ts";
import type { CommandLine } from "../command.ts";

/** The jail a ban belongs to when the caller names none (the original's command line). */
export const DEFAULT_JAIL = "default";

/** The `--ip` that parsing has required for this command (a scoped option, see options.ts). */
export function targetOf(line: CommandLine, command: string): BanTarget {
  if (line.target === undefined) throw new UsageError(`${command} needs --ip`);
  return line.target;
}
