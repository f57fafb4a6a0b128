/**
 * Rebuilds the desired state from Fail2ban itself (`sync --from-fail2ban`): every jail that uses
 * our action is asked for its bans with their times, and its holds are replaced by what it
 * reports. A failed read changes nothing; an empty list is never taken to mean "nothing is
 * banned" (that jail's holds are kept), because a wrong "empty" would unblock every attacker.
 */
import { promisify } from "node:util";
import { type BanTarget, parseBanTarget } from "../address/index.ts";
import { F2bError, UsageError } from "../errors/base.ts";
import { type BanState, holdsOf, type JournalRecord } from "../journal/index.ts";
import type { Session } from "./session.ts";

/** child_process loads only here: a top-level import would land in every hook's start-up. */
async function run(
  program: string,
  args: string[],
  options: { timeout: number },
): Promise<{ stdout: string }> {
  const { execFile } = await import("node:child_process");
  return promisify(execFile)(program, args, options);
}

export interface Fail2banClientOptions {
  /** The fail2ban-client program; default from PATH. */
  program?: string;
  /** Extra arguments before each command, e.g. `-c DIR -s SOCKET` for a private server. */
  args?: string[];
  /** Substring of an action name that marks a jail as ours. */
  actionName?: string;
}

export class Fail2banReadError extends F2bError {
  override name = "Fail2banReadError";
}

export interface Fail2banBan {
  jail: string;
  target: string;
  family: "IPv4" | "IPv6";
  /** Epoch seconds; null = permanent. */
  expiresAt: number | null;
}

async function client(options: Fail2banClientOptions, command: string[]): Promise<string> {
  const program = options.program ?? "fail2ban-client";
  try {
    const { stdout } = await run(program, [...(options.args ?? []), ...command], { timeout: 30_000 });
    return stdout;
  } catch (error) {
    throw new Fail2banReadError(
      `\`${program} ${command.join(" ")}\` failed: ${(error as Error).message.split("\n")[0]}`,
      {
        hint: "is fail2ban running, and are we allowed to use its socket? Nothing was changed",
        cause: error,
      },
    );
  }
}

export function parseJailList(statusOutput: string): string[] {
  const line = statusOutput.split("\n").find((l) => l.includes("Jail list:"));
  if (line === undefined) throw new Fail2banReadError("fail2ban-client status printed no jail list");
  return line
    .slice(line.indexOf("Jail list:") + "Jail list:".length)
    .split(",")
    .map((j) => j.trim())
    .filter((j) => j !== "");
}

/** `192.0.2.9 \t2026-11-21 06:59:30 + 3600 = 2026-11-21 07:59:30` (local time). */
const WITH_TIME = /^(\S+)\s+(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) \+ (-?\d+)/;

export function parseBansWithTime(jail: string, output: string): Fail2banBan[] {
  const bans: Fail2banBan[] = [];
  for (const line of output.split("\n")) {
    if (line.trim() === "") continue;
    const m = WITH_TIME.exec(line.trim());
    if (!m)
      throw new Fail2banReadError(
        `unexpected line from fail2ban-client get ${jail} banip --with-time: ${line.slice(0, 80)}`,
      );
    const [, ip, y, mo, d, h, mi, s, bantime] = m;
    const start =
      new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() / 1000;
    let target: BanTarget;
    try {
      target = parseBanTarget(ip!);
    } catch (error) {
      // An address our policy refuses (e.g. a /4): skip it, never fail the whole rebuild.
      if (error instanceof UsageError) continue;
      throw error;
    }
    const seconds = Number(bantime);
    bans.push({
      jail,
      target: target.canonical,
      family: target.family,
      expiresAt: seconds < 0 ? null : start + seconds,
    });
  }
  return bans;
}

export async function readFail2banBans(
  options: Fail2banClientOptions = {},
): Promise<{ jails: string[]; bans: Fail2banBan[] }> {
  const marker = options.actionName ?? "sophosxg";
  const jails: string[] = [];
  const bans: Fail2banBan[] = [];
  for (const jail of parseJailList(await client(options, ["status"]))) {
    const actions = await client(options, ["get", jail, "actions"]);
    if (
      !actions
        .split("\n")
        .slice(1)
        .some((a) => a.includes(marker))
    )
      continue;
    jails.push(jail);
    bans.push(...parseBansWithTime(jail, await client(options, ["get", jail, "banip", "--with-time"])));
  }
  return { jails, bans };
}

function clientOptionsFromEnv(): Fail2banClientOptions {
  const args = process.env.F2B_SOPHOSXG_FAIL2BAN_ARGS;
  return args ? { args: args.split(" ").filter((a) => a !== "") } : {};
}

export interface Fail2banRebuild {
  /** Records that replace the holds of every jail that listed bans. */
  records: JournalRecord[];
  /** Jails whose holds are kept because Fail2ban listed no bans for them. */
  kept: string[];
}

/**
 * The journal records that make our holds equal to what Fail2ban reports. A jail that lists no
 * bans keeps its holds: an empty answer is never taken to mean that nothing is banned.
 */
export function recordsFromFail2ban(
  jails: string[],
  bans: Fail2banBan[],
  now: number,
  before: BanState,
): Fail2banRebuild {
  const records: JournalRecord[] = [];
  const kept: string[] = [];
  for (const jail of jails) {
    const own = bans.filter((b) => b.jail === jail);
    if (own.length === 0) {
      kept.push(jail);
      continue;
    }
    // Release only the holds this jail had before Fail2ban was asked and that it no longer
    // lists: a blanket flush would also erase a ban a hook journaled while we were reading.
    const listed = new Set(own.map((b) => b.target));
    for (const [target, holds] of before.holds) {
      if (holdsOf(holds).has(jail) && !listed.has(target))
        records.push({ t: "unban", at: now, jail, target });
    }
    for (const ban of own) {
      records.push({
        t: "ban",
        at: now,
        jail,
        target: ban.target,
        family: ban.family,
        expiresAt: ban.expiresAt,
      });
    }
  }
  return { records, kept };
}

export async function rebuildFromFail2ban(session: Session, options: { dryRun: boolean }): Promise<string> {
  const before = session.journal.load().state;
  const { jails, bans } = await readFail2banBans(clientOptionsFromEnv());
  if (jails.length === 0) {
    throw new Fail2banReadError(`no Fail2ban jail uses an action named like "sophosxg"`, {
      hint: "check `fail2ban-client get <jail> actions`; nothing was changed",
    });
  }
  const { records, kept } = recordsFromFail2ban(jails, bans, Date.now(), before);
  // One append: the releases and the bans of a jail land together or not at all.
  if (!options.dryRun) session.journal.append(records);
  const keptNote =
    kept.length > 0 ? `; kept the local holds of ${kept.join(", ")} (Fail2ban listed no bans there)` : "";
  return `from Fail2ban: ${bans.length} ban(s) in ${jails.length - kept.length} jail(s)${options.dryRun ? " (dry run: not recorded)" : ""}${keptNote}`;
}
