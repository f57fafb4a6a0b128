/**
 * `sync --from-fail2ban` parsing, with the shapes fail2ban 1.0.2 prints (beautifier.py and
 * banmanager.py: `'%s \t%s + %d = %s'`, one ban per line for --with-time), and the rule that a
 * jail listing no bans keeps its holds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Fail2banReadError,
  parseBansWithTime,
  parseJailList,
  recordsFromFail2ban,
} from "../../src/action/from-fail2ban.ts";
import { applyRecord, desiredTargets, emptyState } from "../../src/journal/index.ts";

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;

describe("from fail2ban", () => {
  it("parses the jail list of `fail2ban-client status`", () => {
    assert.deepEqual(parseJailList("Status\n|- Number of jail:\t2\n`- Jail list:\tsshd, nginx-http-auth\n"), [
      "sshd",
      "nginx-http-auth",
    ]);
    assert.deepEqual(parseJailList("Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n"), ["sshd"]);
    assert.deepEqual(parseJailList("Status\n|- Number of jail:\t0\n`- Jail list:\t\n"), []);
    assert.throws(() => parseJailList("ERROR  Failed to access socket path"), Fail2banReadError);
  });

  it("parses `get <jail> banip --with-time` lines (IPv4, IPv6, permanent)", () => {
    const output = [
      "192.0.2.9 \t2026-11-21 06:59:30 + 3600 = 2026-11-21 07:59:30",
      "2001:db8::2 \t2026-11-21 07:00:00 + 600 = 2026-11-21 07:10:00",
      "198.51.100.3 \t2026-11-20 23:15:01 + -1 = 9999-12-31 23:59:59",
    ].join("\n");
    assert.deepEqual(parseBansWithTime("sshd", `${output}\n`), [
      { jail: "sshd", target: "192.0.2.9", family: "IPv4", expiresAt: local(2026, 11, 21, 6, 59, 30) + 3600 },
      { jail: "sshd", target: "2001:db8::2", family: "IPv6", expiresAt: local(2026, 11, 21, 7, 0, 0) + 600 },
      { jail: "sshd", target: "198.51.100.3", family: "IPv4", expiresAt: null },
    ]);
    // No bans: fail2ban prints an empty line.
    assert.deepEqual(parseBansWithTime("sshd", "\n"), []);
    assert.deepEqual(parseBansWithTime("sshd", ""), []);
  });

  it("skips an address our policy refuses instead of failing the whole rebuild", () => {
    const output =
      "127.0.0.1 \t2026-11-21 06:59:30 + 3600 = 2026-11-21 07:59:30\n192.0.2.9 \t2026-11-21 06:59:30 + 3600 = 2026-11-21 07:59:30";
    assert.deepEqual(
      parseBansWithTime("sshd", output).map((b) => b.target),
      ["192.0.2.9"],
    );
  });

  it("refuses output it does not understand (and so changes nothing)", () => {
    assert.throws(() => parseBansWithTime("sshd", "192.0.2.9 198.51.100.3\n"), Fail2banReadError);
    assert.throws(
      () => parseBansWithTime("sshd", "Sorry but the jail 'sshd' does not exist\n"),
      Fail2banReadError,
    );
  });

  it("replaces the holds of jails that list bans; a jail listing none keeps its holds", () => {
    const state = emptyState();
    for (const r of [
      {
        t: "ban" as const,
        at: 1,
        jail: "sshd",
        target: "192.0.2.1",
        family: "IPv4" as const,
        expiresAt: null,
      },
      {
        t: "ban" as const,
        at: 1,
        jail: "nginx",
        target: "192.0.2.2",
        family: "IPv4" as const,
        expiresAt: null,
      },
    ])
      applyRecord(state, r);
    const before = structuredClone(state);
    const { records, kept } = recordsFromFail2ban(
      ["sshd", "nginx"],
      [{ jail: "sshd", target: "192.0.2.3", family: "IPv4", expiresAt: null }],
      1000,
      before,
    );
    assert.deepEqual(kept, ["nginx"]);
    // A hook journals a ban while Fail2ban is being read: the rebuild must not erase it.
    applyRecord(state, {
      t: "ban",
      at: 2,
      jail: "sshd",
      target: "192.0.2.9",
      family: "IPv4",
      expiresAt: null,
    });
    for (const r of records) applyRecord(state, r);
    assert.deepEqual([...desiredTargets(state, 0).keys()].sort(), ["192.0.2.2", "192.0.2.3", "192.0.2.9"]);
    // Every jail empty: nothing at all is released.
    const none = recordsFromFail2ban(["sshd", "nginx"], [], 1000, before);
    assert.deepEqual(none.records, []);
    assert.deepEqual(none.kept, ["sshd", "nginx"]);
  });
});
