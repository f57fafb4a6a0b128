/**
 * The IPv6 network form (reference §10.7: `Subnet` as a prefix length or as a mask) is learned
 * once per firewall and remembered in its delivery directory (learned.json), against the
 * emulator's `ipv6Subnet` switch, through the built CLI (one process per Fail2ban hook):
 *
 * - after the first IPv6 network write, the next one (in a new process) is one request in the
 *   right form, mask-only and prefix-only alike; an unban works in either;
 * - a firewall that changes its mind (the switch flipped, as a firmware upgrade might) is
 *   learned again;
 * - an unreadable or corrupt learned.json is warned about and ignored, never fatal;
 * - with several firewalls each remembers its own;
 * - doctor says which form the firewall takes, learning it with a probe of its own when nothing
 *   is remembered yet, and writes no IPv6 probe once it is.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { writeFirewallsConfig } from "../firewalls/helpers.ts";
import { fail2banDir, stepLine } from "../ops/fixtures.ts";
import {
  type CliResult,
  GROUP_V6,
  groupMembers,
  ourHosts,
  runCli,
  startFirewall,
  TEST_PASSWORD,
  tempDir,
  writeConfig,
} from "../support/harness.ts";

let emu: RunningEmulator;
const tmp = tempDir("f2b-ipv6-form");
let run = 0;
let config: string;
let stateDir: string;

before(async () => {
  emu = await startFirewall();
});
after(async () => {
  await emu?.close();
  tmp.cleanup();
});
beforeEach(async () => {
  await emu.reset();
  emu.setBehaviour({ ipv6Subnet: "mask" });
  const dir = join(tmp.dir, String(++run));
  mkdirSync(dir, { recursive: true });
  config = writeConfig(dir, emu);
  stateDir = join(dir, "state");
  await cli(["start"]);
});

async function cli(args: string[], configFile = config): Promise<CliResult> {
  const r = await runCli([...args, "--configfile", configFile]);
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
  assert.ok(!(r.stdout + r.stderr).includes(TEST_PASSWORD));
  return r;
}

/** What the emulator was asked from now on: its request log, and how many entity writes it applied. */
function mark(on: RunningEmulator = emu) {
  const logged = on.requestLog().length;
  const applied = on.counters.entityWritesApplied;
  const attempted = on.counters.entityWrites;
  return () => ({
    requests: on.requestLog().slice(logged),
    applied: on.counters.entityWritesApplied - applied,
    refused: on.counters.entityWrites - attempted - (on.counters.entityWritesApplied - applied),
  });
}

function learned(dir = stateDir): { ipv6Subnet?: { form: string; at: number } } {
  return JSON.parse(readFileSync(join(dir, "learned.json"), "utf8"));
}

function subnetOf(name: string, on: RunningEmulator = emu): string | undefined {
  return ourHosts(on).get(name)?.subnet;
}

const NET_A = "2001:db8:aa::/48";
const NET_B = "2001:db8:bb::/48";
const NET_C = "2001:db8:cc::/48";
const NAME_A = "f2b_2001_db8_aa__/48";
const NAME_B = "f2b_2001_db8_bb__/48";
const NAME_C = "f2b_2001_db8_cc__/48";

for (const [form, subnet, firstWrites] of [
  ["mask", "ffff:ffff:ffff::", 2],
  ["prefix", "48", 1],
] as const) {
  test(`${form} only: the first IPv6 network write learns the form, the next process writes it in one request`, async () => {
    emu.setBehaviour({ ipv6Subnet: form });
    const first = mark();
    await cli(["ban", "--ip", NET_A]);
    const firstSeen = first();
    // The prefix length first (what is tried while nothing is known); a mask-only firewall refuses it.
    assert.equal(firstSeen.requests.length, firstWrites, JSON.stringify(firstSeen.requests));
    assert.equal(firstSeen.refused, firstWrites - 1);
    assert.equal(learned().ipv6Subnet?.form, form);
    assert.equal(subnetOf(NAME_A), subnet);

    const second = mark();
    await cli(["ban", "--ip", NET_B]);
    const seen = second();
    assert.deepEqual(
      seen.requests.map((r) => [r.kind, r.entities]),
      [["write", 1]],
      "one write request of one entity",
    );
    assert.equal(seen.applied, 1, "applied: the right form at once");
    assert.equal(subnetOf(NAME_B), subnet);
    assert.deepEqual(groupMembers(emu, GROUP_V6).sort(), [NAME_A, NAME_B].sort());

    // The unlink before the Remove is a whole-object update: it must be in the right form too.
    const unban = mark();
    await cli(["unban", "--ip", NET_A]);
    const removal = unban();
    assert.equal(removal.requests.length, 2, "unlink and Remove");
    assert.equal(removal.refused, 0);
    assert.deepEqual(groupMembers(emu, GROUP_V6), [NAME_B]);
    assert.equal(ourHosts(emu).has(NAME_A), false);
  });
}

test("a firewall that stops taking the remembered form is learned again", async () => {
  await cli(["ban", "--ip", NET_A]);
  const before = learned().ipv6Subnet;
  assert.equal(before?.form, "mask");

  emu.setBehaviour({ ipv6Subnet: "prefix" });
  const changed = mark();
  await cli(["ban", "--ip", NET_B]);
  const seen = changed();
  assert.equal(seen.requests.length, 2, "the remembered mask, refused, then the prefix length");
  assert.equal(seen.refused, 1);
  assert.equal(subnetOf(NAME_B), "48");
  const after = learned().ipv6Subnet;
  assert.equal(after?.form, "prefix");
  assert.ok(after !== undefined && before !== undefined && after.at >= before.at);

  const next = mark();
  await cli(["ban", "--ip", NET_C]);
  assert.equal(next().requests.length, 1);
  assert.equal(subnetOf(NAME_C), "48");
});

test("a corrupt learned.json is warned about and ignored; the ban lands and the file is rewritten", async () => {
  writeFileSync(join(stateDir, "learned.json"), "{ not json", { mode: 0o600 });
  const r = await cli(["ban", "--ip", NET_A]);
  assert.match(r.stderr, /warning: .*learned\.json is not JSON: ignored/);
  assert.deepEqual(groupMembers(emu, GROUP_V6), [NAME_A]);
  assert.equal(learned().ipv6Subnet?.form, "mask");

  writeFileSync(join(stateDir, "learned.json"), JSON.stringify({ ipv6Subnet: { form: "netmask", at: 1 } }));
  const odd = await cli(["ban", "--ip", NET_B]);
  assert.match(odd.stderr, /warning: .*"ipv6Subnet" is not/);
  assert.deepEqual(groupMembers(emu, GROUP_V6).sort(), [NAME_A, NAME_B].sort());
  assert.equal(learned().ipv6Subnet?.form, "mask");
});

test("an unreadable, unwritable learned.json (a directory in its place) never fails a ban", async () => {
  mkdirSync(join(stateDir, "learned.json"));
  const r = await cli(["ban", "--ip", NET_A]);
  assert.match(r.stderr, /warning: cannot read .*learned\.json \(EISDIR\)/);
  assert.match(r.stderr, /warning: cannot write .*learned\.json/);
  assert.match(r.stdout, /1 added/);
  assert.deepEqual(groupMembers(emu, GROUP_V6), [NAME_A]);
  // Nothing remembered: the next process learns again (two writes on this mask-only firewall).
  const next = mark();
  await cli(["ban", "--ip", NET_B]);
  assert.equal(next().requests.length, 2);
});

test("a dry run sends IPv6 networks in the remembered form and remembers nothing itself", async () => {
  // Its transport accepts anything: a real run would remember that form, a dry run writes nothing.
  await cli(["ban", "--ip", NET_A, "--dry-run"]);
  assert.equal(existsSync(join(stateDir, "learned.json")), false);
  await cli(["ban", "--ip", NET_A]);
  const r = await cli(["ban", "--ip", NET_B, "--dry-run"]);
  assert.match(r.stdout, /<Subnet>ffff:ffff:ffff::<\/Subnet>/);
  assert.doesNotMatch(r.stdout, /<Subnet>48<\/Subnet>/);
});

test("several firewalls: each learns and remembers its own form in its own directory", async () => {
  const other = await startFirewall({ behaviour: { ipv6Subnet: "prefix" } });
  try {
    const dir = join(tmp.dir, "two");
    mkdirSync(dir, { recursive: true });
    const two = writeFirewallsConfig(dir, [
      { name: "masked", emu },
      { name: "plain", emu: other },
    ]);
    await cli(["start"], two);
    await cli(["ban", "--ip", NET_A], two);
    assert.equal(learned(join(dir, "state", "firewalls", "masked")).ipv6Subnet?.form, "mask");
    assert.equal(learned(join(dir, "state", "firewalls", "plain")).ipv6Subnet?.form, "prefix");
    assert.equal(existsSync(join(dir, "state", "learned.json")), false);
    const onMasked = mark(emu);
    const onPlain = mark(other);
    await cli(["ban", "--ip", NET_B], two);
    assert.equal(onMasked().requests.length, 1);
    assert.equal(onPlain().requests.length, 1);
    assert.equal(subnetOf(NAME_B, emu), "ffff:ffff:ffff::");
    assert.equal(subnetOf(NAME_B, other), "48");
  } finally {
    await other.close();
  }
});

describe("doctor", () => {
  let f2b: string;
  before(() => {
    f2b = fail2banDir(tmp.dir, { jail: "[sshd]\nenabled = true\nbanaction = sophosxg\n" });
  });

  async function doctor(): Promise<CliResult> {
    const r = await runCli(["doctor", "--configfile", config], { env: { F2B_SOPHOSXG_FAIL2BAN_DIR: f2b } });
    assert.ok(!(r.stdout + r.stderr).includes(TEST_PASSWORD));
    return r;
  }

  test("nothing known yet: doctor learns the form with a probe of its own, deletes it and remembers it", async () => {
    const seen = mark();
    const r = await doctor();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      stepLine(r.stdout, "ipv6 network"),
      /^ok\s+ipv6 network: this firewall takes an IPv6 network's Subnet as a mask \(ffff:ffff:ffff:ffff::\): learned now with IP host f2b_doctor_probe6 \(created and deleted\), remembered in .*learned\.json$/,
    );
    // IPv4 probe: add + Remove; IPv6 probe: add as a prefix length (refused), as a mask, Remove.
    const counts = seen();
    assert.equal(counts.applied, 4);
    assert.equal(counts.refused, 1);
    assert.ok(![...ourHosts(emu).keys()].some((n) => n.includes("doctor_probe")), "probes deleted");
    assert.equal(learned().ipv6Subnet?.form, "mask");

    // Remembered: the next doctor only reads it, and a ban uses it at once.
    const again = mark();
    const second = await doctor();
    assert.match(
      stepLine(second.stdout, "ipv6 network"),
      /^ok\s+ipv6 network: this firewall takes an IPv6 network's Subnet as a mask \(ffff:ffff:ffff:ffff::\): learned \d{4}-\d\d-\d\dT[\d:.]+Z, remembered in /,
    );
    assert.equal(again().applied, 2, "the IPv4 write probe only");
    const ban = mark();
    await cli(["ban", "--ip", NET_A]);
    assert.equal(ban().requests.length, 1);
  });

  test("doctor reports the form a delivery learned, without a probe", async () => {
    emu.setBehaviour({ ipv6Subnet: "prefix" });
    await cli(["ban", "--ip", NET_A]);
    const seen = mark();
    const r = await doctor();
    assert.match(
      stepLine(r.stdout, "ipv6 network"),
      /^ok\s+ipv6 network: this firewall takes an IPv6 network's Subnet as a prefix length \(64\): learned /,
    );
    assert.equal(seen().applied, 2, "the IPv4 write probe only");
  });

  test("an object of the IPv6 probe's name that is not doctor's is left alone; nothing is learned", async () => {
    const foreign = {
      name: "f2b_doctor_probe6",
      ipFamily: "IPv6" as const,
      hostType: "Network" as const,
      ipAddress: "2001:db8:f2b:d0c::",
      subnet: "64",
      description: "an administrator's object",
      hostGroups: [],
    };
    await emu.seed({ hosts: [foreign] });
    const r = await doctor();
    assert.match(
      stepLine(r.stdout, "ipv6 network"),
      /^warn\s+ipv6 network: not learned: an IP host named f2b_doctor_probe6 exists and is not doctor's probe; left alone/,
    );
    assert.deepEqual(ourHosts(emu).get("f2b_doctor_probe6"), foreign);
    assert.equal(existsSync(join(stateDir, "learned.json")), false);
  });
});
