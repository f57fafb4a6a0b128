/**
 * What each status code of the firewall means to us: one row per code, its kind and the hint an
 * operator gets. The client sets `kind` on every entity outcome and picks the error for a
 * request-level refusal from it; delivery switches on the kind, never on a number. Evidence for
 * each code: docs/emulator.md (assumptions) and test/fixtures/sophos-samples/INDEX.md.
 */

export type StatusKind =
  /** Done (200–216, 217, 222: success, possibly with a warning). */
  | "ok"
  /** The object is not there (Remove of a missing object answers 528): for a removal, done. */
  | "gone"
  /** Still referenced by another object (a host that is still a group member). */
  | "in-use"
  /** An object with that name or those details exists already. */
  | "exists"
  /** The firewall refused the values. */
  | "invalid"
  /** The whole request was refused: unreadable, API disabled, caller not allowed. */
  | "request-invalid"
  | "api-disabled"
  | "caller-not-allowed"
  /** Anything else: refused, reason unknown. */
  | "refused";

export interface StatusMeaning {
  kind: StatusKind;
  /** What the operator should do, when there is something to say. */
  hint?: string;
}

const REFERENCED =
  "the object is still used by another one (a group or a rule); it is unlinked first and retried";

/** The one table. Edit a row here to change what a code means everywhere. */
export const STATUS_TABLE: Readonly<Record<number, StatusMeaning>> = {
  500: { kind: "invalid", hint: "check that every referenced host or group exists" },
  501: { kind: "invalid", hint: "check the values and that every referenced host or group exists" },
  502: { kind: "exists", hint: "an object with this name exists already; update it instead" },
  503: { kind: "exists", hint: "an object with the same details exists already under another name" },
  504: { kind: "in-use", hint: REFERENCED },
  510: { kind: "in-use", hint: REFERENCED },
  528: { kind: "gone", hint: "the object probably does not exist; check with a Get" },
  529: {
    kind: "request-invalid",
    hint: "the firewall could not read the request; if a value contains unusual characters report it as a bug",
  },
  532: {
    kind: "api-disabled",
    hint: "enable API configuration on the firewall: Backup & firmware > API (SFOS 22: Administration > API)",
  },
  534: {
    kind: "caller-not-allowed",
    hint: "add this host's address to the API's allowed IP addresses on the firewall (Backup & firmware > API; SFOS 22: Administration)",
  },
};

function isSuccessCode(code: number): boolean {
  return (code >= 200 && code <= 216) || code === 217 || code === 222;
}

/** The meaning of `code`; a missing code (a code-less text) is a refusal. */
export function meaningOf(code: number | undefined): StatusMeaning {
  if (code === undefined) return { kind: "refused" };
  if (isSuccessCode(code)) return { kind: "ok" };
  return STATUS_TABLE[code] ?? { kind: "refused" };
}
