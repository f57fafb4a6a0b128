import type { IpHost, IpHostGroup } from "../protocol/index.ts";

/**
 * Everything the emulator can be told at start. The switches under `behaviour` cover the
 * places where the reference (shared/reference/sophos-xml-api.md §10) does not know what the
 * real firewall answers; docs/emulator.md lists each choice.
 */

export interface LatencySettings {
  /** Wait per read request (Get, login-only, refused requests), in ms. */
  readMs: number;
  /** Wait per write request (any Set or Remove), in ms. */
  writeMs: number;
  /** Extra wait per entity written in a write request, in ms. */
  entityMs: number;
  /** Multiplies every latency above; 0.01 runs the realistic profile 100x faster. */
  timeScale: number;
}

export const NO_LATENCY: LatencySettings = { readMs: 0, writeMs: 0, entityMs: 0, timeScale: 1 };
/** About what the real firewall costs (reference §5: ~1 s per call, 5–8 s per write). */
export const REALISTIC_LATENCY: LatencySettings = { readMs: 1000, writeMs: 6000, entityMs: 0, timeScale: 1 };

export interface BehaviourSwitches {
  /** Wording of the code-less zero-match answer (`No.` on SFOS 20+, `Number` on 19.x). */
  noRecordsText: "No. of records Zero." | "Number of records Zero.";
  /** Remove of an IPHost that is still a group member: refuse with this code, or "allow" (drops it from its groups). */
  removeMember: number | "allow";
  /** IPHost naming a missing group in HostGroupList: answer this code (default 500). */
  missingGroupCode: number;
  /** `Set operation="update"` of a missing object: answer this code (default 500), or "add" it. */
  updateMissing: number | "add";
  /** `<Remove><IPHostGroup>` carrying a HostList: "reject" (500, nothing changes) or "mimic" (empty and break the group as seen on a real XGS). */
  removeGroupWithHostList: "reject" | "mimic";
  /** IPv6 Network subnet: "prefix" (a length such as 64), "mask" (expanded mask), or "both". */
  ipv6Subnet: "prefix" | "mask" | "both";
  /** Refuse a second IPHost with the same address under another name (docs: 503). */
  rejectDuplicateAddress: boolean;
  /** Echo a request entity's `transactionid` on its answer element (public clients rely on it); off = always `""`. */
  echoTransactionId: boolean;
  /**
   * Get of an entity type a firewall has but the emulator does not model (FQDNHost, MACHost, …):
   * "no-records" (what a real firewall with none of them answers) or "transaction-fail".
   */
  unmodelledGet: "no-records" | "transaction-fail";
  /** Element names: "sensitive" (other casings are unknown elements) or "insensitive" (SFOS 17 in one client). */
  tagCase: "sensitive" | "insensitive";
  /** Block API logins of a caller after `failures` failed logins, for `minutes` (off when null). */
  loginLockout: { failures: number; minutes: number } | null;
  /** `reqxml` in a GET query string: "allow" or "refuse" (answered 529, as without reqxml). */
  getRequests: "allow" | "refuse";
  /** Request lines (method + URL) longer than this answer HTTP 414; null = no cap. */
  maxUrlBytes: number | null;
  /** Answer to Remove of a missing IPHostGroup (528 like a host; not measured for groups). */
  removeMissingGroupCode: number;
  /** Answer to an invalid enumerated value (HostType, IPFamily): 501, or 500 as seen on some firmware. */
  invalidEnumCode: number;
  /** Most addresses in one IPList object (reference §5: 1000). */
  ipListMax: number;
}

/** Entity types a firewall has that the emulator does not model: their Get answers "no records". */
export const KNOWN_UNMODELLED_TYPES: readonly string[] = [
  "FQDNHost",
  "FQDNHostGroup",
  "MACHost",
  "Services",
  "ServiceGroup",
  "FirewallRule",
  "FirewallRuleGroup",
  "Zone",
  "Interface",
  "VLAN",
  "Alias",
  "WebFilterPolicy",
  "User",
  "AdminSettings",
];

export const DEFAULT_BEHAVIOUR: BehaviourSwitches = {
  noRecordsText: "No. of records Zero.",
  removeMember: 510,
  missingGroupCode: 500,
  updateMissing: 500,
  removeGroupWithHostList: "reject",
  ipv6Subnet: "both",
  rejectDuplicateAddress: false,
  echoTransactionId: true,
  unmodelledGet: "no-records",
  tagCase: "sensitive",
  loginLockout: null,
  getRequests: "allow",
  maxUrlBytes: null,
  removeMissingGroupCode: 528,
  invalidEnumCode: 501,
  ipListMax: 1000,
};

export interface Faults {
  /** Refuse TCP connections to the API port (the listener is closed until brought back up). */
  down: boolean;
  /** Destroy the connection of API requests without answering: true = all, a number = the next N. */
  reset: boolean | number;
  /** Accept API requests and never answer: true = all, a number = the next N. */
  hang: boolean | number;
  /** Answer `statusCode` for the next `count` API requests. */
  statusCode: number | null;
  count: number;
  /** Where the status goes: "auto" = per entity for writes, top-level otherwise; "top"; "http" = that HTTP status. */
  scope: "auto" | "top" | "http";
  /** Text of the injected status; defaults to the firewall's text for known codes. */
  statusText: string | null;
  apiDisabled: boolean;
  callerNotAllowed: boolean;
  wrongCredentials: boolean;
}

export const NO_FAULTS: Faults = {
  down: false,
  reset: false,
  hang: false,
  statusCode: null,
  count: 0,
  scope: "auto",
  statusText: null,
  apiDisabled: false,
  callerNotAllowed: false,
  wrongCredentials: false,
};

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  username?: string;
  password?: string;
  /** More API users besides `username` (a fleet's members each log in as their own); the request log names who wrote. */
  extraUsers?: { username: string; password: string }[];
  /** Persist objects here as JSON (atomically: temp file + rename). In memory without it. */
  statePath?: string;
  latency?: Partial<LatencySettings>;
  /** PEM certificate and key; a self-signed EC certificate is generated when absent. */
  certPem?: string;
  keyPem?: string;
  /** Plain HTTP instead of HTTPS. */
  insecureHttp?: boolean;
  /** Seed this many foreign IP hosts (and two foreign groups) at start. */
  seedForeign?: number;
  /** Objects the firewall already has at start (a profile's `seed`), loaded without the API's checks. */
  seedObjects?: { hosts?: IpHost[]; groups?: IpHostGroup[] };
  faults?: Partial<Faults>;
  /** Secret for the control endpoint; generated when absent. */
  controlSecret?: string;
  /** Also serve the control endpoint on this port (stays up while the API is `down`). */
  controlPort?: number;
  /** Callers allowed to use the API (534 otherwise): addresses, CIDRs (`10.0.0.0/8`) or ranges (`a-b`); everyone when absent. */
  allowedCallers?: string[];
  /**
   * SFOS 22 style: names of IP host objects (in the store) whose addresses, networks or ranges
   * may use the API. Combined with `allowedCallers`; everyone when both are absent.
   */
  allowedCallerHosts?: string[];
  /** `APIVersion` on the Response root. */
  apiVersion?: string;
  behaviour?: Partial<BehaviourSwitches>;
  /** Request bodies above this many bytes answer 529. */
  maxBodyBytes?: number;
  /** How many recent requests to keep in the in-memory log. */
  logSize?: number;
}
