/** The typed operations against the embedded emulator over real HTTPS (pinned certificate). */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type RunningEmulator, startEmulator } from "../../src/emulator/index.ts";
import type { IpHost } from "../../src/protocol/index.ts";
import { SophosClient } from "../../src/sophos/client.ts";
import { ApiDisabledError, AuthenticationError, CallerNotAllowedError } from "../../src/sophos/errors.ts";

let emulator: RunningEmulator;
let client: SophosClient;
const auth = { username: "admin", password: "emu-pass-<&>-1" };

before(async () => {
  emulator = await startEmulator({ port: 0, ...auth });
  client = new SophosClient({
    url: emulator.url,
    ...auth,
    tls: { mode: "pin", sha256: emulator.fingerprint256 },
  });
});
after(async () => {
  client.close();
  await emulator.close();
});

const host = (ip: string, groups: string[]): IpHost => ({
  name: `f2b_${ip.replace(/\./g, "_")}`,
  ipFamily: "IPv4",
  hostType: "IP",
  ipAddress: ip,
  hostGroups: groups,
});

describe("client against the emulator", () => {
  test("login, group, hosts, prefix get, unlink, remove", async () => {
    await client.login();
    const [g] = await client.setIpHostGroups(
      [{ name: "f2b_v4", ipFamily: "IPv4", description: "bans", hosts: [] }],
      "add",
    );
    assert.equal(g?.ok, true, g?.text);
    const hosts = [host("192.0.2.1", ["f2b_v4"]), host("192.0.2.2", ["f2b_v4"])];
    const written = await client.setIpHosts(hosts, "add");
    assert.ok(
      written.every((o) => o.ok),
      JSON.stringify(written),
    );
    const again = await client.setIpHosts([hosts[0]!], "add");
    assert.equal(again[0]?.code, 502);

    const found = await client.getIpHostsByNamePrefix("f2b_");
    assert.deepEqual(found.map((h) => h.name).sort(), hosts.map((h) => h.name).sort());
    const group = await client.getIpHostGroup("f2b_v4");
    assert.deepEqual(group?.hosts.sort(), hosts.map((h) => h.name).sort());
    assert.equal(group?.description, "bans");
    assert.equal(await client.getIpHostGroup("nope"), undefined);

    const unlinked = await client.unlinkIpHosts([hosts[0]!]);
    assert.equal(unlinked[0]?.ok, true, unlinked[0]?.text);
    assert.deepEqual((await client.getIpHostGroup("f2b_v4"))?.hosts, [hosts[1]!.name]);

    const removed = await client.removeIpHosts([hosts[0]!.name, "f2b_missing"]);
    assert.deepEqual(
      removed.map((o) => [o.ok, o.code]),
      [
        [true, 200],
        [false, 528],
      ],
    );
    const left = await client.getIpHosts({ key: "Name", criteria: "=", value: hosts[0]!.name });
    assert.deepEqual(left, []);
    const all = await client.getIpHosts();
    assert.ok(all.some((h) => h.hostType === "System Host"));
  });

  test("gates and credentials map to typed errors", async () => {
    await emulator.setFaults({ apiDisabled: true });
    await assert.rejects(() => client.login(), ApiDisabledError);
    await emulator.setFaults({ apiDisabled: false, callerNotAllowed: true });
    await assert.rejects(() => client.login(), CallerNotAllowedError);
    await emulator.setFaults({ callerNotAllowed: false });
    const wrong = new SophosClient({
      url: emulator.url,
      username: "admin",
      password: "wrong-pw",
      tls: { mode: "ca", ca: emulator.certPem },
    });
    await assert.rejects(() => wrong.login(), AuthenticationError);
    wrong.close();
  });
});
