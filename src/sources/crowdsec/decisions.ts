/**
 * Which LAPI decisions become holds, and as what. A hold's reason is the decision's **origin**
 * (`crowdsec`, `cscli`, `CAPI`, `lists`…): a short, bounded set that says who decided, where a
 * scenario name would grow without bound (a list's every entry, a manual ban's free text). Two
 * decisions of one origin on one address are one hold that lasts as long as the longer one.
 */
import { type IpFamily, parseBanTarget } from "../../address/index.ts";
import type { CrowdsecConfig } from "../../config/types.ts";
import { parseGoDuration } from "./go-duration.ts";
import type { LapiDecision } from "./stream-body.ts";

/** The source name in the journal. */
export const CROWDSEC_SOURCE = "crowdsec";

/** Blocklists (the community's and subscribed ones); every other origin is this machine's own. */
const BLOCKLIST_ORIGINS = new Set(["capi", "lists"]);

export interface HeldDecision {
  id: number;
  /** Canonical address or network. */
  target: string;
  family: IpFamily;
  /** The origin. */
  reason: string;
  /** Epoch seconds. */
  untilSec: number;
  /** A local origin (the agents, cscli): kept before blocklists when max_decisions cuts. */
  local: boolean;
}

/** Why a decision is not held; counted for `status` and `doctor`. */
export type IgnoredKind = "type" | "scope" | "filtered" | "short" | "refused" | "expired";

export type Verdict = { held: HeldDecision } | { ignored: IgnoredKind; detail: string };

export type DecisionFilters = Pick<
  CrowdsecConfig,
  "origins" | "scenariosContaining" | "scenariosNotContaining" | "minDurationMs" | "onlyBanType"
>;

export function isLocalOrigin(origin: string): boolean {
  return !BLOCKLIST_ORIGINS.has(origin.toLowerCase());
}

/**
 * `alreadyHeld` says whether the journal holds this address for this origin: such a decision is
 * kept even when its time left has fallen below `min_duration` (the filter is for new decisions;
 * otherwise each decision would be released early, at its last `min_duration`).
 */
export function judge(
  decision: LapiDecision,
  nowMs: number,
  filters: DecisionFilters,
  alreadyHeld: (target: string, reason: string) => boolean,
): Verdict {
  const scope = decision.scope.toLowerCase();
  if (scope !== "ip" && scope !== "range") return { ignored: "scope", detail: decision.scope };
  if (filters.onlyBanType && decision.type.toLowerCase() !== "ban")
    return { ignored: "type", detail: decision.type };
  const origin = decision.origin === "" ? "unknown" : decision.origin;
  // The LAPI filters too; checked again here so that a LAPI that ignores a parameter leaks nothing.
  if (filters.origins.length > 0 && !filters.origins.includes(origin))
    return { ignored: "filtered", detail: "origin" };
  const scenario = decision.scenario.toLowerCase();
  if (
    filters.scenariosContaining.length > 0 &&
    !filters.scenariosContaining.some((s) => scenario.includes(s.toLowerCase()))
  )
    return { ignored: "filtered", detail: "scenario" };
  if (filters.scenariosNotContaining.some((s) => scenario.includes(s.toLowerCase())))
    return { ignored: "filtered", detail: "scenario" };
  const leftMs = parseGoDuration(decision.duration);
  if (leftMs === undefined || leftMs <= 0) return { ignored: "expired", detail: decision.duration };
  let target: ReturnType<typeof parseBanTarget>;
  try {
    target = parseBanTarget(decision.value);
  } catch {
    return { ignored: "refused", detail: decision.value };
  }
  if (leftMs < filters.minDurationMs && !alreadyHeld(target.canonical, origin)) {
    return { ignored: "short", detail: decision.duration };
  }
  return {
    held: {
      id: decision.id,
      target: target.canonical,
      family: target.family,
      reason: origin,
      untilSec: Math.ceil((nowMs + leftMs) / 1000),
      local: isLocalOrigin(origin),
    },
  };
}

/** A hold's key, `target` + newline + `reason`: one flat map instead of a map per address. */
export function holdKey(target: string, reason: string): string {
  return `${target}\n${reason}`;
}

export interface DesiredHold {
  target: string;
  family: IpFamily;
  reason: string;
  /** Epoch seconds. */
  expiresAt: number;
}

export interface DesiredHolds {
  /** By holdKey. */
  holds: Map<string, DesiredHold>;
  /** Distinct addresses held. */
  addresses: number;
  /** Addresses left out by `max_decisions`. */
  leftOut: number;
}

/**
 * The holds the decisions ask for, at most `max` addresses: local origins first, then those
 * with the most time left (a blocklist's short-lived entries are the first to go).
 */
export function desiredHolds(decisions: Iterable<HeldDecision>, max: number, nowSec: number): DesiredHolds {
  const live = [...decisions].filter((d) => d.untilSec > nowSec);
  const holds = new Map<string, DesiredHold>();
  const chosen = new Set<string>();
  const distinct = new Set(live.map((d) => d.target)).size;
  if (distinct > max) live.sort((a, b) => Number(b.local) - Number(a.local) || b.untilSec - a.untilSec);
  for (const d of live) {
    if (!chosen.has(d.target)) {
      if (chosen.size >= max) continue;
      chosen.add(d.target);
    }
    const key = holdKey(d.target, d.reason);
    const hold = holds.get(key);
    if (hold) hold.expiresAt = Math.max(hold.expiresAt, d.untilSec);
    else holds.set(key, { target: d.target, family: d.family, reason: d.reason, expiresAt: d.untilSec });
  }
  return { holds, addresses: chosen.size, leftOut: distinct - chosen.size };
}

/**
 * What `desiredHolds` says for the holds `keys` alone, when `max_decisions` cuts nothing (then
 * every live decision is in, and a hold depends only on the decisions of its own key). A delta
 * of 100 decisions looks at 100 keys instead of building the holds of all 100,000 addresses.
 */
export function desiredHoldsOf(
  decisions: Iterable<HeldDecision>,
  keys: ReadonlySet<string>,
  targets: ReadonlySet<string>,
  nowSec: number,
): Map<string, DesiredHold> {
  const holds = new Map<string, DesiredHold>();
  for (const d of decisions) {
    // The address first: a key is a new string, made only for decisions on a touched address.
    if (d.untilSec <= nowSec || !targets.has(d.target)) continue;
    const key = holdKey(d.target, d.reason);
    if (!keys.has(key)) continue;
    const hold = holds.get(key);
    if (hold) hold.expiresAt = Math.max(hold.expiresAt, d.untilSec);
    else holds.set(key, { target: d.target, family: d.family, reason: d.reason, expiresAt: d.untilSec });
  }
  return holds;
}
