/**
 * What `ban` and `unban` write to the journal and the line they print, apart from delivery: the
 * hook's fast path (src/cli/hook-fast-path.ts) journals with exactly these when the agent runs.
 */
import type { BanTarget } from "../address/index.ts";
import type { JournalRecord } from "../journal/records.ts";

export interface BanRequest {
  target: BanTarget;
  jail: string;
  /** Epoch seconds of the ban (Fail2ban's `<time>`; for restored bans the original time). Default now. */
  time?: number;
  /** Seconds; -1 or absent = until unbanned. */
  bantime?: number;
}

export interface UnbanRequest {
  target: BanTarget;
  jail: string;
}

export function expiryOf(request: BanRequest, nowSeconds: number): number | null {
  if (request.bantime === undefined || request.bantime < 0) return null;
  return (request.time ?? nowSeconds) + request.bantime;
}

export function banRecord(request: BanRequest, now: number): JournalRecord {
  return {
    t: "ban",
    at: now,
    jail: request.jail,
    target: request.target.canonical,
    family: request.target.family,
    expiresAt: expiryOf(request, now / 1000),
  };
}

export function unbanRecord(request: UnbanRequest, now: number): JournalRecord {
  return { t: "unban", at: now, jail: request.jail, target: request.target.canonical };
}

/** `ban 192.0.2.1 (jail sshd) journaled; <what happens next>`. */
export function journaledLine(change: "ban" | "unban", request: UnbanRequest, next: string): string {
  return `${change} ${request.target.canonical} (jail ${request.jail}) journaled; ${next}`;
}

/** What a fleet member's hook says: its agent forwards, whether or not it runs right now. */
export const FLEET_FORWARDS = "this fleet member's agent forwards it to the fleet (only the pusher writes)";

export function leftToAgent(pid: number): string {
  return `the agent (pid ${pid}) delivers it`;
}
