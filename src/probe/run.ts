/**
 * Runs the probe's fixed sequence (steps.ts) against one firewall and records what it answered.
 * It stops at the first request-level refusal, and at once (no cleanup, which would need another
 * login) when a login it made before is refused: that is what a login lockout looks like.
 */
import type { IpHost } from "../protocol/index.ts";
import { escapeXmlText } from "../protocol/index.ts";
import {
  AuthenticationError,
  RequestInvalidError,
  type SophosClient,
  type SophosResponse,
} from "../sophos/index.ts";
import { removeXml, setIpHostGroupsXml, setIpHostsXml } from "../sophos/request-xml.ts";
import { removeProbeObjects } from "./cleanup.ts";
import { profileFromSteps } from "./profile-from-report.ts";
import type { RawAnswer, RawRequester } from "./raw-request.ts";
import { type ProbeReport, REPORT_FORMAT, type StepResult } from "./report.ts";
import { PROBE_SUFFIX } from "./steps.ts";

export interface ProbeContext {
  client: SophosClient;
  raw: RawRequester;
  /** `<iphost_prefix>probe_`: the only names the probe writes. */
  probePrefix: string;
  /** Pause between steps (rate limit), in ms. */
  intervalMs: number;
  /** Set when SIGINT/SIGTERM arrived: the step under way ends, then the cleanup runs. */
  interrupted: () => string | undefined;
  /** Makes a firewall text safe to share (no secret, no firewall address). */
  redact: (text: string) => string;
  version: string;
  onStep?: (result: StepResult) => void;
}

export function probePrefixOf(prefix: string): string {
  return `${prefix}${PROBE_SUFFIX}`;
}

type Step = (ctx: ProbeContext) => Promise<Omit<StepResult, "id" | "ms">>;

const V4 = "IPv4" as const;
const NONE = "none";

function host(name: string, ipAddress: string, hostGroups: string[] = []): IpHost {
  return { name, ipFamily: V4, hostType: "IP", ipAddress, hostGroups };
}

function listHost(name: string, count: number): IpHost {
  const addresses = Array.from(
    { length: count },
    (_, i) => `198.18.${10 + Math.floor(i / 250)}.${1 + (i % 250)}`,
  );
  return { name, ipFamily: V4, hostType: "IPList", listOfIpAddresses: addresses, hostGroups: [] };
}

function filtered(entity: string, name: string, transactionId?: string): string {
  const tid =
    transactionId === undefined ? "" : ` transactionid="${escapeXmlText(transactionId, "transactionid")}"`;
  return `<Get><${entity}${tid}><Filter><key name="Name" criteria="=">${escapeXmlText(name, "Name")}</key></Filter></${entity}></Get>`;
}

/** The first status of the first entity element named `entity` (any case), with its code counts. */
function firstStatus(response: SophosResponse, entity: string, ctx: ProbeContext) {
  const elements = response.entities.filter((e) => e.entity.toLowerCase() === entity.toLowerCase());
  const statuses = elements.flatMap((e) => e.statuses);
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[String(s.code ?? "none")] = (counts[String(s.code ?? "none")] ?? 0) + 1;
  const first = statuses[0];
  const records = elements.filter((e) => e.statuses.length === 0).length;
  return {
    code: first?.code,
    text: first === undefined ? undefined : ctx.redact(first.text),
    counts,
    records,
    transactionId: elements[0]?.node["@transactionid"],
  };
}

function result(
  s: ReturnType<typeof firstStatus>,
  facts: StepResult["facts"] = {},
): Omit<StepResult, "id" | "ms"> {
  const out: Omit<StepResult, "id" | "ms"> = { ok: true, facts };
  if (s.code !== undefined) out.code = s.code;
  if (s.text !== undefined) out.text = s.text;
  return out;
}

async function setHosts(ctx: ProbeContext, hosts: IpHost[], op: "add" | "update") {
  const response = await ctx.client.sendRaw(setIpHostsXml(hosts, op));
  return firstStatus(response, "IPHost", ctx);
}

async function get(ctx: ProbeContext, entity: string, transactionId?: string) {
  const response = await ctx.client.sendRaw(filtered(entity, `${ctx.probePrefix}${NONE}`, transactionId));
  return firstStatus(response, entity, ctx);
}

function n(ctx: ProbeContext, suffix: string): string {
  return `${ctx.probePrefix}${suffix}`;
}

const STEPS: Array<[string, Step]> = [
  [
    "login",
    async (ctx) => {
      const response = await ctx.client.sendRaw("");
      return { ok: true, facts: { apiVersion: response.apiVersion ?? null } };
    },
  ],
  ["read-none", async (ctx) => result(await get(ctx, "IPHost"))],
  [
    "unmodelled-get",
    async (ctx) => {
      const s = await get(ctx, "FQDNHost");
      return result(s, { records: s.records });
    },
  ],
  [
    "unknown-entity",
    async (ctx) =>
      result(
        firstStatus(
          await ctx.client.sendRaw("<Get><F2bProbeNoSuchEntity/></Get>"),
          "F2bProbeNoSuchEntity",
          ctx,
        ),
      ),
  ],
  [
    "tag-case",
    async (ctx) => {
      try {
        const s = await get(ctx, "iphost");
        return result(s, { records: s.records });
      } catch (error) {
        // A firmware may refuse the whole request for an unknown element (529): case-sensitive.
        if (!(error instanceof RequestInvalidError)) throw error;
        return {
          ok: true,
          facts: { refused: true },
          ...(error.code === undefined ? {} : { code: error.code }),
        };
      }
    },
  ],
  [
    "transactionid",
    async (ctx) => {
      const sent = "f2b-probe-g4";
      const xml = setIpHostGroupsXml([{ name: n(ctx, "g4"), ipFamily: V4, hosts: [] }], "add").replace(
        "<IPHostGroup>",
        `<IPHostGroup transactionid="${sent}">`,
      );
      const s = firstStatus(await ctx.client.sendRaw(xml), "IPHostGroup", ctx);
      const seen = typeof s.transactionId === "string" ? s.transactionId : null;
      return result(s, { sent, answered: seen, echoed: seen === sent });
    },
  ],
  [
    "write-1",
    async (ctx) => result(await setHosts(ctx, [host(n(ctx, "h1"), "198.18.0.1", [n(ctx, "g4")])], "add")),
  ],
  [
    "write-100",
    async (ctx) => {
      const hosts = Array.from({ length: 100 }, (_, i) =>
        host(n(ctx, `b${String(i).padStart(3, "0")}`), `198.18.1.${i + 1}`),
      );
      const s = await setHosts(ctx, hosts, "add");
      return result(s, { entities: 100, accepted: s.counts["200"] ?? 0 });
    },
  ],
  ["iplist-1", async (ctx) => result(await setHosts(ctx, [listHost(n(ctx, "l"), 1)], "add"))],
  ["iplist-1000", async (ctx) => result(await setHosts(ctx, [listHost(n(ctx, "l"), 1000)], "update"))],
  ["iplist-1001", async (ctx) => result(await setHosts(ctx, [listHost(n(ctx, "l"), 1001)], "update"))],
  [
    "ipv6-prefix",
    async (ctx) => result(await setHosts(ctx, [v6Network(n(ctx, "n6p"), "2001:db8:f2b:1::", "64")], "add")),
  ],
  [
    "ipv6-mask",
    async (ctx) =>
      result(
        await setHosts(ctx, [v6Network(n(ctx, "n6m"), "2001:db8:f2b:2::", "ffff:ffff:ffff:ffff::")], "add"),
      ),
  ],
  [
    "remove-member",
    async (ctx) =>
      result(firstStatus(await ctx.client.sendRaw(removeXml("IPHost", [n(ctx, "h1")])), "IPHost", ctx)),
  ],
  [
    "missing-group",
    async (ctx) =>
      result(await setHosts(ctx, [host(n(ctx, "mg"), "198.18.2.1", [n(ctx, "nogroup")])], "add")),
  ],
  [
    "update-missing",
    async (ctx) => result(await setHosts(ctx, [host(n(ctx, "um"), "198.18.2.2")], "update")),
  ],
  [
    "remove-missing-group",
    async (ctx) =>
      result(
        firstStatus(
          await ctx.client.sendRaw(removeXml("IPHostGroup", [n(ctx, "nogroup")])),
          "IPHostGroup",
          ctx,
        ),
      ),
  ],
  [
    "duplicate-address",
    async (ctx) => {
      const first = await setHosts(ctx, [host(n(ctx, "d1"), "198.18.3.1")], "add");
      const second = await setHosts(ctx, [host(n(ctx, "d2"), "198.18.3.1")], "add");
      return result(second, { firstCode: first.code ?? null });
    },
  ],
  [
    "invalid-enum",
    async (ctx) => {
      const name = escapeXmlText(n(ctx, "ev"), "Name");
      const xml = `<Set operation="add"><IPHost><Name>${name}</Name><IPFamily>IPv4</IPFamily><HostType>F2bProbe</HostType><IPAddress>198.18.2.3</IPAddress></IPHost></Set>`;
      return result(firstStatus(await ctx.client.sendRaw(xml), "IPHost", ctx));
    },
  ],
];

function v6Network(name: string, ipAddress: string, subnet: string): IpHost {
  return { name, ipFamily: "IPv6", hostType: "Network", ipAddress, subnet, hostGroups: [] };
}

/** How a raw answer reads: "login-failure" (the API processed it), "status-529", "http-414", … */
export function rawOutcome(answer: RawAnswer): string {
  if (answer.status !== 200) return `http-${answer.status}`;
  const top = /<Response[^>]*>\s*<Status code="(\d+)"/.exec(answer.body);
  if (top) return `status-${top[1]}`;
  if (/<Login>\s*<status>\s*Authentication Failure/i.test(answer.body)) return "login-failure";
  if (/<Login>/.test(answer.body)) return "login";
  return "other";
}

async function rawSteps(ctx: ProbeContext, record: (r: StepResult) => void): Promise<void> {
  // No Login block: no credentials in any URL, and nothing counts as a failed login attempt.
  const xml = `<Request>${filtered("IPHost", `${ctx.probePrefix}${NONE}`)}</Request>`;
  const query = `?reqxml=${encodeURIComponent(xml)}`;
  const post = await ctx.raw("POST", "", `reqxml=${encodeURIComponent(xml)}`);
  const got = await ctx.raw("GET", query);
  record({
    id: "get-vs-post",
    ok: true,
    ms: got.ms,
    facts: { post: rawOutcome(post), get: rawOutcome(got), same: rawOutcome(post) === rawOutcome(got) },
  });
  if (ctx.interrupted()) return;
  await pause(ctx.intervalMs);
  const long = await ctx.raw("GET", `${query}&pad=${"x".repeat(8192)}`);
  record({
    id: "get-long",
    ok: true,
    ms: long.ms,
    facts: {
      urlBytes: 8192 + query.length,
      get: rawOutcome(long),
      same: rawOutcome(long) === rawOutcome(got),
    },
  });
}

function pause(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function describe(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

export async function runProbe(ctx: ProbeContext): Promise<ProbeReport> {
  const started = Date.now();
  const steps: StepResult[] = [];
  const record = (r: StepResult) => {
    const safe = r.error === undefined ? r : { ...r, error: ctx.redact(r.error) };
    steps.push(safe);
    ctx.onStep?.(safe);
  };
  let stoppedBecause: string | null = null;
  let lockedOut = false;
  let leftBehind: string[] = [];
  const cleanup = async (id: string) => {
    const t = Date.now();
    try {
      const done = await removeProbeObjects(ctx.client, ctx.probePrefix);
      leftBehind = done.left;
      record({
        id,
        ok: done.left.length === 0,
        ms: Date.now() - t,
        facts: { removed: done.removed, left: done.left.length },
      });
    } catch (error) {
      record({ id, ok: false, ms: Date.now() - t, error: describe(error) });
      throw error;
    }
  };
  try {
    await cleanup("cleanup-before");
  } catch (error) {
    return finish(
      ctx,
      started,
      steps,
      `the cleanup before the run failed: ${ctx.redact(describe(error))}`,
      leftBehind,
    );
  }
  for (const [id, step] of STEPS) {
    const signal = ctx.interrupted();
    if (signal !== undefined) {
      stoppedBecause = `interrupted (${signal})`;
      break;
    }
    await pause(ctx.intervalMs);
    const t = Date.now();
    try {
      const measured = await step(ctx);
      record({ id, ...measured, ms: Date.now() - t });
    } catch (error) {
      record({ id, ok: false, ms: Date.now() - t, error: describe(error) });
      if (error instanceof AuthenticationError && steps.some((s) => s.id === "login" && s.ok)) {
        lockedOut = true;
        stoppedBecause = "a login accepted before was refused (a login lockout?): stopped at once";
      } else {
        stoppedBecause = `step ${id} failed: ${ctx.redact(describe(error))}`;
      }
      break;
    }
  }
  if (!lockedOut) {
    try {
      await cleanup("cleanup");
    } catch (error) {
      stoppedBecause ??= `the cleanup failed: ${ctx.redact(describe(error))}`;
    }
    if (stoppedBecause === null && ctx.interrupted() === undefined) {
      try {
        await pause(ctx.intervalMs);
        await rawSteps(ctx, record);
      } catch (error) {
        record({ id: "get-vs-post", ok: false, ms: 0, error: describe(error) });
        stoppedBecause = `the GET/POST comparison failed: ${ctx.redact(describe(error))}`;
      }
    }
    const signal = ctx.interrupted();
    if (stoppedBecause === null && signal !== undefined) stoppedBecause = `interrupted (${signal})`;
  }
  return finish(ctx, started, steps, stoppedBecause, leftBehind);
}

function finish(
  ctx: ProbeContext,
  started: number,
  steps: StepResult[],
  stoppedBecause: string | null,
  leftBehind: string[],
): ProbeReport {
  const login = steps.find((s) => s.id === "login");
  const apiVersion = typeof login?.facts?.apiVersion === "string" ? login.facts.apiVersion : null;
  return {
    format: REPORT_FORMAT,
    version: ctx.version,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    apiVersion,
    complete: stoppedBecause === null,
    stoppedBecause,
    steps,
    leftBehind,
    profile: profileFromSteps(steps, apiVersion),
  };
}
