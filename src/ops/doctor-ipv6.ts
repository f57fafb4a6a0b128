/**
 * doctor's `ipv6 network` line: which `Subnet` form this firewall takes for an IPv6 network
 * (reference §10.7), as deliveries remembered it (learned.json in the firewall's delivery
 * directory). Not known yet, and the write probe worked: learned with one more probe, an IPv6
 * network of our prefix in no group (`<prefix>doctor_probe6`, documentation range), created in
 * the form deliveries would try first, in the other form if that is refused, and deleted; then
 * remembered as a delivery would (only when the directory exists: doctor creates none).
 */
import { existsSync } from "node:fs";
import type { Config } from "../config/types.ts";
import { F2bError } from "../errors/base.ts";
import type { IpHost } from "../protocol/model.ts";
import type { SophosClient } from "../sophos/index.ts";
import {
  FirewallMemory,
  type Ipv6SubnetForm,
  ipv6SubnetIn,
  setIpHostsInKnownForm,
} from "../targets/sophos/index.ts";
import { addProbe, PROBE_DESCRIPTION } from "./doctor-probe.ts";

export const IPV6_STEP = "ipv6 network";
export const IPV6_PROBE_SUFFIX = "doctor_probe6";
/** RFC 3849 documentation prefix: never routable. */
export const IPV6_PROBE_NETWORK = "2001:db8:f2b:d0c::";
const PROBE_PREFIX_LENGTH = 64;

export interface DoctorReport {
  line(status: "ok" | "warn" | "info" | "FAIL", step: string, what: string, fix?: string): void;
  skip(step: string, because: string): void;
}

function formText(form: Ipv6SubnetForm): string {
  const example = ipv6SubnetIn(form, PROBE_PREFIX_LENGTH);
  return form === "mask" ? `as a mask (${example})` : `as a prefix length (${example})`;
}

function describe(error: unknown): string {
  return error instanceof F2bError ? error.message : String((error as Error)?.message ?? error);
}

export async function ipv6NetworkStep(
  report: DoctorReport,
  client: SophosClient,
  config: Config,
  firewallDir: string,
  writeProbeWorked: boolean,
): Promise<void> {
  const problems: string[] = [];
  const persist = existsSync(firewallDir);
  const memory = new FirewallMemory({ dir: firewallDir, persist, warn: (text) => problems.push(text) });
  const known = memory.ipv6Subnet();
  for (const problem of problems.splice(0))
    report.line("warn", IPV6_STEP, problem, "nothing to do: it is rewritten once the form is learned");
  if (known !== undefined) {
    report.line(
      "ok",
      IPV6_STEP,
      `this firewall takes an IPv6 network's Subnet ${formText(known.form)}: learned ${new Date(known.at).toISOString()}, remembered in ${memory.path}`,
    );
    return;
  }
  if (!writeProbeWorked) {
    report.skip(IPV6_STEP, "the write probe failed; not yet known: no IPv6 network written yet");
    return;
  }
  const name = `${config.prefix}${IPV6_PROBE_SUFFIX}`;
  const probe: IpHost = {
    name,
    ipFamily: "IPv6",
    hostType: "Network",
    ipAddress: IPV6_PROBE_NETWORK,
    subnet: String(PROBE_PREFIX_LENGTH),
    description: PROBE_DESCRIPTION,
    hostGroups: [],
  };
  const fix = "run f2b-sophosxg probe and report what it measured (docs/probe.md)";
  try {
    let refusedAs = "";
    const added = await addProbe(client, probe, async (host) => {
      const [outcome] = await setIpHostsInKnownForm(client, [host], "add", memory);
      if (outcome !== undefined && !outcome.ok) refusedAs = `${outcome.code ?? ""} ${outcome.text}`.trim();
      return outcome;
    });
    if (added === "foreign") {
      report.line(
        "warn",
        IPV6_STEP,
        `not learned: an IP host named ${name} exists and is not doctor's probe; left alone`,
        `rename or delete ${name} on the firewall`,
      );
      return;
    }
    const learned = memory.ipv6Subnet();
    if (added !== undefined && !added.ok) {
      report.line(
        "warn",
        IPV6_STEP,
        `the firewall refused an IPv6 network (${name}) with Subnet as a prefix length and as a mask (${refusedAs}): IPv6 network bans will not land`,
        fix,
      );
      return;
    }
    const [removed] = await client.removeIpHosts([name]);
    if (removed !== undefined && !removed.ok) {
      report.line(
        "FAIL",
        IPV6_STEP,
        `created IP host ${name} but cannot delete it: ${removed.text}`,
        `delete ${name} on the firewall`,
      );
      return;
    }
    if (learned === undefined) {
      report.line("warn", IPV6_STEP, `created and deleted IP host ${name}, but no form was learned`, fix);
      return;
    }
    const where = !persist
      ? `not remembered: ${firewallDir} does not exist yet (the first IPv6 network ban learns it again)`
      : problems.length > 0
        ? `not remembered: ${problems.join("; ")}`
        : `remembered in ${memory.path}`;
    report.line(
      "ok",
      IPV6_STEP,
      `this firewall takes an IPv6 network's Subnet ${formText(learned.form)}: learned now with IP host ${name} (created and deleted), ${where}`,
    );
  } catch (error) {
    report.line("warn", IPV6_STEP, `IPv6 network probe ${name}: ${describe(error)}`, fix);
  }
}
