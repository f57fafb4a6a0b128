import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBanTarget } from "../../src/address/index.ts";
import { UsageError } from "../../src/errors/index.ts";
import type { IpHost } from "../../src/protocol/index.ts";
import {
  banTargetFromHost,
  ipHostFor,
  maxPrefixLength,
  objectNameFor,
  prefixProblem,
} from "../../src/targets/sophos/index.ts";

const name = (text: string, prefix = "f2b_") => objectNameFor(prefix, parseBanTarget(text));

test("object names follow the documented scheme", () => {
  assert.equal(name("192.0.2.1"), "f2b_192.0.2.1"); // the original program's form
  assert.equal(name("198.51.100.0/24"), "f2b_198.51.100.0/24");
  assert.equal(name("2001:db8::1"), "f2b_2001_db8__1");
  assert.equal(name("2001:db8::/48"), "f2b_2001_db8__/48");
  assert.equal(name("::ffff:192.0.2.1"), "f2b_192.0.2.1");
  assert.equal(name("192.0.2.1", "web1_"), "web1_192.0.2.1");
});

test("a long IPv6 name falls back to the compact hex form", () => {
  const full = "2001:db8:1111:2222:3333:4444:5555:6666";
  assert.equal(name(full), "f2b_2001_db8_1111_2222_3333_4444_5555_6666"); // 42 characters: readable
  const prefix = "abcdefghijk"; // maxPrefixLength characters
  assert.equal(name(full, prefix), "abcdefghijk2001_db8_1111_2222_3333_4444_5555_6666"); // exactly 50
  assert.equal(
    name("2001:db8:1111:2222:3333:4444:5555:6600/120", prefix),
    "abcdefghijkv6_20010db8111122223333444455556600/120",
  );
  assert.equal(name("2001:db8::1", prefix), "abcdefghijk2001_db8__1"); // short ones stay readable
});

test("maxPrefixLength is the longest prefix that keeps every name within 50 characters", () => {
  assert.equal(maxPrefixLength, 11);
  const worst = parseBanTarget("2a01:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
  assert.equal(objectNameFor("x".repeat(maxPrefixLength), worst).length, 50);
  assert.throws(() => objectNameFor("x".repeat(maxPrefixLength + 1), worst), UsageError);
});

test("prefixProblem refuses what the firewall or our scheme cannot take", () => {
  assert.equal(prefixProblem("f2b_"), undefined);
  assert.equal(prefixProblem("web-1 ban "), undefined);
  assert.match(prefixProblem("") ?? "", /empty/);
  assert.match(prefixProblem("a,b") ?? "", /comma/);
  assert.match(prefixProblem("a:b") ?? "", /":"/);
  assert.match(prefixProblem("#f2b") ?? "", /"#"/);
  assert.match(prefixProblem("a\tb") ?? "", /control/);
  assert.match(prefixProblem("x".repeat(12)) ?? "", /at most 11/);
  assert.throws(
    () => objectNameFor("", parseBanTarget("192.0.2.1")),
    (error: UsageError) => /iphost_prefix/.test(error.hint ?? ""),
  );
});

test("ipHostFor builds IP and Network hosts", () => {
  assert.deepEqual(ipHostFor("f2b_", parseBanTarget("192.0.2.1"), "fail2ban"), {
    name: "f2b_192.0.2.1",
    ipFamily: "IPv4",
    hostType: "IP",
    ipAddress: "192.0.2.1",
    description: "f2b-sophosxg ban 192.0.2.1",
    hostGroups: ["fail2ban"],
  });
  assert.deepEqual(ipHostFor("f2b_", parseBanTarget("198.51.100.9/24"), "fail2ban"), {
    name: "f2b_198.51.100.0/24",
    ipFamily: "IPv4",
    hostType: "Network",
    ipAddress: "198.51.100.0",
    subnet: "255.255.255.0",
    description: "f2b-sophosxg ban 198.51.100.0/24",
    hostGroups: ["fail2ban"],
  });
  const v6 = ipHostFor("f2b_", parseBanTarget("2001:db8::/48"), "fail2ban_v6");
  assert.equal(v6.hostType, "Network");
  assert.equal(v6.ipFamily, "IPv6");
  assert.equal(v6.ipAddress, "2001:db8::");
  assert.equal(v6.subnet, "48");
  assert.deepEqual(v6.hostGroups, ["fail2ban_v6"]);
});

/** A host as read from the firewall; `undefined` in `fields` drops that field. */
const host = (fields: { [K in keyof IpHost]?: IpHost[K] | undefined }): IpHost => {
  const base: Record<string, unknown> = {
    name: "f2b_192.0.2.1",
    ipFamily: "IPv4",
    hostType: "IP",
    ipAddress: "192.0.2.1",
    hostGroups: [],
    ...fields,
  };
  for (const key of Object.keys(base)) if (base[key] === undefined) delete base[key];
  return base as unknown as IpHost;
};

test("banTargetFromHost adopts the original program's objects and our own", () => {
  assert.equal(banTargetFromHost("f2b_", host({}))?.canonical, "192.0.2.1");
  assert.equal(banTargetFromHost("f2b_", host({ hostGroups: ["fail2ban"] }))?.canonical, "192.0.2.1");
  const v6net = host({
    name: "f2b_2001_db8__/48",
    ipFamily: "IPv6",
    hostType: "Network",
    ipAddress: "2001:DB8::",
  });
  assert.equal(banTargetFromHost("f2b_", { ...v6net, subnet: "48" })?.canonical, "2001:db8::/48");
  assert.equal(
    banTargetFromHost("f2b_", { ...v6net, subnet: "ffff:ffff:ffff::" })?.canonical,
    "2001:db8::/48",
  );
  const v4net = host({
    name: "f2b_10.0.0.0/8",
    hostType: "Network",
    ipAddress: "10.0.0.0",
    subnet: "255.0.0.0",
  });
  assert.equal(banTargetFromHost("f2b_", v4net)?.canonical, "10.0.0.0/8");
  // A refused address that was banned before can still be recognised (and cleaned up).
  assert.equal(
    banTargetFromHost("f2b_", host({ name: "f2b_127.0.0.1", ipAddress: "127.0.0.1" }))?.canonical,
    "127.0.0.1",
  );
});

test("banTargetFromHost leaves everything else alone", () => {
  const notOurs: IpHost[] = [
    host({ name: "other_192.0.2.1" }),
    host({ name: "f2b_192.0.2.2" }), // name and address disagree
    host({ name: "f2b_10.0.2.1", ipAddress: "0.0.2.1" }), // prefix "f2b_1"'s object "f2b_1" + "0.0.2.1"
    host({ name: "f2b_web", ipAddress: "192.0.2.1" }),
    host({ ipAddress: undefined }),
    host({ ipAddress: "not an address" }),
    host({
      hostType: "IPRange",
      ipAddress: undefined,
      startIpAddress: "192.0.2.1",
      endIpAddress: "192.0.2.9",
    }),
    host({ hostType: "System Host", ipAddress: undefined }),
    host({ hostType: "Network", subnet: "255.255.255.255" }), // a /32 Network is not a host we write
    host({ name: "f2b_10.0.0.0/8", hostType: "Network", ipAddress: "10.0.0.0", subnet: "255.0.255.0" }),
    host({ name: "f2b_10.0.0.0/8", hostType: "Network", ipAddress: "10.0.0.0" }),
    host({ ipFamily: "IPv6" }),
    host({ name: "f2b_192.0.2.1", ipFamily: "IPv6", ipAddress: "::ffff:192.0.2.1" }),
  ];
  for (const h of notOurs) assert.equal(banTargetFromHost("f2b_", h), undefined, JSON.stringify(h));
  assert.equal(banTargetFromHost("", host({})), undefined);
});
