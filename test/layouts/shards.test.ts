/**
 * Unit tests of the iplist layout's pure parts (src/delivery/shards.ts): shard names, reading a
 * shard back from the firewall (placeholder dropped, foreign look-alikes refused), and
 * `layoutShards` placement (stable, deduplicated, lowest-numbered shard with room first, lowest
 * free numbers for new shards, never over the size).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import type { IpHost } from "../../src/protocol/index.ts";
import {
  isShardable,
  layoutShards,
  layoutShardsAfter,
  parseShardName,
  SHARD_PLACEHOLDER,
  type Shard,
  shardFromHost,
  shardHost,
  shardName,
} from "../../src/targets/sophos/index.ts";

const P = "f2b_";
const v4 = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const shard = (n: number, addresses: string[]): Shard => ({
  name: shardName(P, "IPv4", n),
  family: "IPv4",
  n,
  addresses,
});
const byNumber = (shards: Shard[]) => shards.map((s) => [s.n, s.addresses]);

describe("shard names", () => {
  test("name and parse round-trip per family", () => {
    assert.equal(shardName(P, "IPv4", 1), "f2b_list_v4_1");
    assert.equal(shardName(P, "IPv6", 12), "f2b_list_v6_12");
    assert.deepEqual(parseShardName(P, "f2b_list_v4_1"), { family: "IPv4", n: 1 });
    assert.deepEqual(parseShardName(P, "f2b_list_v6_12"), { family: "IPv6", n: 12 });
  });

  test("anything else is not a shard name", () => {
    for (const name of [
      "f2b_list_v4_0",
      "f2b_list_v4_01",
      "f2b_list_v4_",
      "f2b_list_v5_1",
      "f2b_list_v4_1x",
      "f2b_list_v4_1234567",
      "x2b_list_v4_1",
      "f2b_192.0.2.1",
      "f2b_list_v4_1 ",
    ]) {
      assert.equal(parseShardName(P, name), undefined, name);
    }
    // Another prefix that starts with ours: "f2b_x" + "list_v4_1" is not "f2b_" + a shard.
    assert.equal(parseShardName(P, "f2b_xlist_v4_1"), undefined);
  });
});

describe("shardFromHost", () => {
  const host = (over: Partial<IpHost>): IpHost => ({
    name: "f2b_list_v4_3",
    ipFamily: "IPv4",
    hostType: "IPList",
    listOfIpAddresses: ["198.51.100.1", "198.51.100.2"],
    hostGroups: [],
    ...over,
  });

  test("reads our IPList host as a shard", () => {
    assert.deepEqual(shardFromHost(P, host({})), {
      name: "f2b_list_v4_3",
      family: "IPv4",
      n: 3,
      addresses: ["198.51.100.1", "198.51.100.2"],
    });
  });

  test("drops the placeholder in both families; a placeholder-only shard is empty", () => {
    assert.deepEqual(
      shardFromHost(P, host({ listOfIpAddresses: [SHARD_PLACEHOLDER.IPv4, "198.51.100.1"] }))?.addresses,
      ["198.51.100.1"],
    );
    assert.deepEqual(shardFromHost(P, host({ listOfIpAddresses: [SHARD_PLACEHOLDER.IPv4] }))?.addresses, []);
    const v6 = shardFromHost(
      P,
      host({ name: "f2b_list_v6_1", ipFamily: "IPv6", listOfIpAddresses: ["2001:db8::", "2001:db8::5"] }),
    );
    assert.deepEqual(v6?.addresses, ["2001:db8::5"]);
  });

  test("refuses look-alikes: wrong type, wrong family, wrong name", () => {
    assert.equal(shardFromHost(P, host({ hostType: "IP", ipAddress: "198.51.100.1" })), undefined);
    assert.equal(shardFromHost(P, host({ ipFamily: "IPv6" })), undefined);
    assert.equal(shardFromHost(P, host({ name: "f2b_list_4" })), undefined);
    assert.equal(shardFromHost("other_", host({})), undefined);
  });

  test("shardHost: in its group with addresses, placeholder alone and no group when empty", () => {
    const full = shardHost(shard(2, ["198.51.100.1"]), "fail2ban");
    assert.deepEqual(full.listOfIpAddresses, ["198.51.100.1"]);
    assert.deepEqual(full.hostGroups, ["fail2ban"]);
    const empty = shardHost(shard(2, []), "fail2ban");
    assert.deepEqual(empty.listOfIpAddresses, [SHARD_PLACEHOLDER.IPv4]);
    assert.deepEqual(empty.hostGroups, []);
    assert.equal(empty.hostType, "IPList");
  });

  test("the placeholders are never put into a shard: banning them uses a host", () => {
    assert.equal(isShardable(SHARD_PLACEHOLDER.IPv4), false);
    assert.equal(isShardable(SHARD_PLACEHOLDER.IPv6), false);
    assert.equal(isShardable("192.0.2.1"), true);
    assert.equal(isShardable("192.0.2.0/24"), false);
  });
});

describe("layoutShards", () => {
  test("new addresses fill the lowest-numbered shard with room, then new shards", () => {
    const next = layoutShards(P, "IPv4", [], new Set([v4(1), v4(2), v4(3), v4(4), v4(5)]), 2);
    assert.deepEqual(byNumber(next), [
      [1, [v4(1), v4(2)]],
      [2, [v4(3), v4(4)]],
      [3, [v4(5)]],
    ]);
    assert.equal(next[2]!.name, "f2b_list_v4_3");
  });

  test("addresses stay where they are; a freed slot in a low shard is filled first", () => {
    const current = [shard(1, [v4(1), v4(2)]), shard(2, [v4(3), v4(4)])];
    const next = layoutShards(P, "IPv4", current, new Set([v4(2), v4(3), v4(4), v4(9)]), 2);
    assert.deepEqual(byNumber(next), [
      [1, [v4(2), v4(9)]],
      [2, [v4(3), v4(4)]],
    ]);
  });

  test("new shards take the lowest free numbers (gaps first)", () => {
    const current = [shard(2, [v4(1)]), shard(5, [v4(2)])];
    const next = layoutShards(P, "IPv4", current, new Set([v4(1), v4(2), v4(3), v4(4)]), 1);
    assert.deepEqual(byNumber(next), [
      [1, [v4(3)]],
      [2, [v4(1)]],
      [3, [v4(4)]],
      [5, [v4(2)]],
    ]);
  });

  test("emptied shards are returned empty (to be removed); unwanted and duplicate addresses dropped", () => {
    const current = [shard(1, [v4(1), v4(1), v4(2)]), shard(2, [v4(2), v4(3)])];
    const next = layoutShards(P, "IPv4", current, new Set([v4(1), v4(2)]), 3);
    assert.deepEqual(byNumber(next), [
      [1, [v4(1), v4(2)]],
      [2, []],
    ]);
  });

  test("only shards of the family asked for", () => {
    const v6: Shard = { name: shardName(P, "IPv6", 1), family: "IPv6", n: 1, addresses: ["2001:db8::1"] };
    const next = layoutShards(P, "IPv4", [v6, shard(1, [v4(1)])], new Set([v4(1)]), 3);
    assert.deepEqual(byNumber(next), [[1, [v4(1)]]]);
  });

  test("a shard over the size (the size was lowered) is trimmed and the rest placed elsewhere", () => {
    const next = layoutShards(
      P,
      "IPv4",
      [shard(1, [v4(1), v4(2), v4(3)])],
      new Set([v4(1), v4(2), v4(3)]),
      2,
    );
    assert.deepEqual(byNumber(next), [
      [1, [v4(1), v4(2)]],
      [2, [v4(3)]],
    ]);
  });

  test("property: exact cover, size cap, stability, fewest shards, unique lowest numbers", () => {
    const pool = Array.from({ length: 40 }, (_, i) => v4(i));
    const addressSet = fc.uniqueArray(fc.constantFrom(...pool), { maxLength: 40 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), addressSet), { maxLength: 8 }),
        addressSet,
        (size, rawCurrent, wantedList) => {
          const byN = new Map<number, string[]>();
          for (const [n, addresses] of rawCurrent) byN.set(n, addresses);
          const current = [...byN].map(([n, addresses]) => shard(n, addresses));
          const wanted = new Set(wantedList);
          const next = layoutShards(P, "IPv4", current, wanted, size);
          const all = next.flatMap((s) => s.addresses);
          // Every wanted address exactly once, nothing else.
          assert.equal(all.length, new Set(all).size);
          assert.deepEqual(new Set(all), wanted);
          // Never over the size; unique, ascending numbers; names follow numbers.
          for (const s of next) {
            assert.ok(s.addresses.length <= size);
            assert.equal(s.name, shardName(P, "IPv4", s.n));
          }
          const ns = next.map((s) => s.n);
          assert.deepEqual(
            ns,
            [...new Set(ns)].sort((a, b) => a - b),
          );
          // Stability: an address that was wanted and within the first `size` distinct kept
          // entries of its (first) shard stays in that shard.
          const seen = new Set<string>();
          for (const s of [...current].sort((a, b) => a.n - b.n)) {
            const kept: string[] = [];
            for (const a of s.addresses) {
              if (wanted.has(a) && !seen.has(a) && kept.length < size) {
                kept.push(a);
                seen.add(a);
              }
            }
            const after = next.find((x) => x.n === s.n)!;
            assert.deepEqual(after.addresses.slice(0, kept.length), kept);
          }
          // Current shards are all still there (empty ones to be removed); new shards are full
          // except possibly the last one created.
          for (const s of current) assert.ok(next.some((x) => x.n === s.n));
          const created = next.filter((x) => !byN.has(x.n));
          for (const s of created.slice(0, -1)) assert.equal(s.addresses.length, size);
          // New shards only when every existing shard is full.
          if (created.length > 0) {
            for (const s of next.filter((x) => byN.has(x.n))) assert.equal(s.addresses.length, size);
          }
        },
      ),
      { numRuns: 300, seed: 8 },
    );
  });

  test("property: layoutShardsAfter is layoutShards of current + add − remove", () => {
    const pool = Array.from({ length: 30 }, (_, i) => v4(i));
    const addresses = fc.array(fc.constantFrom(...pool), { maxLength: 30 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }),
        // Duplicates within and across shards, shards over the size, gaps in the numbers.
        fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), addresses), { maxLength: 8 }),
        addresses,
        addresses,
        (size, rawCurrent, add, remove) => {
          const byN = new Map<number, string[]>();
          for (const [n, list] of rawCurrent) byN.set(n, list);
          const current = [...byN].map(([n, list]) => shard(n, list));
          const wanted = new Set(current.flatMap((s) => s.addresses));
          for (const a of add) wanted.add(a);
          for (const a of remove) wanted.delete(a);
          assert.deepEqual(
            layoutShardsAfter(P, "IPv4", current, { add, remove }, size),
            layoutShards(P, "IPv4", current, wanted, size),
          );
        },
      ),
      { numRuns: 500, seed: 12 },
    );
  });
});
