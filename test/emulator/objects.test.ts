import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { type IpHost, parseXml } from "../../src/protocol/index.ts";
import { SophosClient } from "../../src/sophos/index.ts";
import {
  api,
  groupXml,
  ipHostXml,
  PASSWORD,
  postReqxml,
  requestXml,
  startTestEmulator,
  statusesOf,
  USER,
} from "./helpers.ts";

const host = (name: string, ip: string, groups: string[] = []): IpHost => ({
  name,
  ipFamily: ip.includes(":") ? "IPv6" : "IPv4",
  hostType: "IP",
  ipAddress: ip,
  hostGroups: groups,
});

describe("emulator objects through the client", () => {
  let emu: RunningEmulator;
  let client: SophosClient;
  before(async () => {
    emu = await startTestEmulator();
    client = new SophosClient({
      url: emu.url,
      username: USER,
      password: PASSWORD,
      tls: { mode: "pin", sha256: emu.fingerprint256 },
    });
  });
  afterEach(() => emu.reset());
  after(async () => {
    client.close();
    await emu.close();
  });

  test("a full Get lists the system hosts of sample 01 with Name, IPFamily, HostType only", async () => {
    const res = await postReqxml(emu, requestXml("<Get><IPHost/></Get>"));
    assert.match(
      res.body,
      /<IPHost transactionid="">\n {4}<Name>##ALL_RW<\/Name>\n {4}<IPFamily>IPv4<\/IPFamily>\n {4}<HostType>System Host<\/HostType>\n {2}<\/IPHost>/,
    );
    const names = (await client.getIpHosts()).map((h) => h.name);
    assert.deepEqual(names, [
      "##ALL_RW",
      "##ALL_IPSEC_RW",
      "##ALL_SSLVPN_RW",
      "##ALL_RW6",
      "##ALL_SSLVPN_RW6",
      "##ALL_IPSEC_RW6",
      "#Port1",
      "#Port2",
    ]);
  });

  test("system hosts cannot be removed or edited (528)", async () => {
    const [removed] = await client.removeIpHosts(["##ALL_RW"]);
    assert.equal(removed?.code, 528);
    const doc = await api(emu, `<Set operation="update">${ipHostXml("#Port1", "1.2.3.4")}</Set>`);
    assert.deepEqual(statusesOf(doc, "IPHost"), [
      { code: "528", text: "Trying to update default entities which are not editable." },
    ]);
  });

  test("add creates, a second add answers 502, upsert rewrites", async () => {
    let [o] = await client.setIpHosts([host("h1", "192.0.2.1")], "add");
    assert.deepEqual([o?.ok, o?.code, o?.text], [true, 200, "Configuration applied successfully."]);
    [o] = await client.setIpHosts([host("h1", "192.0.2.9")], "add");
    assert.deepEqual(
      [o?.ok, o?.code, o?.text],
      [false, 502, "Operation failed. Entity having same name already exists."],
    );
    assert.equal(
      (await client.getIpHosts({ key: "Name", criteria: "=", value: "h1" }))[0]?.ipAddress,
      "192.0.2.1",
    );
    [o] = await client.setIpHosts([host("h1", "192.0.2.9")], "upsert");
    assert.equal(o?.code, 200);
    [o] = await client.setIpHosts([host("h2", "192.0.2.2")], "upsert");
    assert.equal(o?.code, 200);
    const hosts = await client.getIpHostsByNamePrefix("h");
    assert.deepEqual(
      hosts.map((h) => [h.name, h.ipAddress]),
      [
        ["h1", "192.0.2.9"],
        ["h2", "192.0.2.2"],
      ],
    );
  });

  test("Get answers have the firewall's element order, Description included", async () => {
    await client.setIpHostGroups([{ name: "g", ipFamily: "IPv4", description: "", hosts: [] }], "add");
    await client.setIpHosts([host("h1", "192.0.2.1", ["g"])], "add");
    const res = await postReqxml(
      emu,
      requestXml(
        '<Get><IPHost><Filter><key name="Name" criteria="=">h1</key></Filter></IPHost><IPHostGroup/></Get>',
      ),
    );
    assert.ok(
      res.body.includes(
        '<IPHost transactionid="">\n    <Name>h1</Name>\n    <IPFamily>IPv4</IPFamily>\n    <Description/>\n    <HostType>IP</HostType>\n    <HostGroupList>\n      <HostGroup>g</HostGroup>\n    </HostGroupList>\n    <IPAddress>192.0.2.1</IPAddress>\n  </IPHost>',
      ),
      res.body,
    );
    assert.ok(
      res.body.includes(
        '<IPHostGroup transactionid="">\n    <Name>g</Name>\n    <Description/>\n    <HostList>\n      <Host>h1</Host>\n    </HostList>\n    <IPFamily>IPv4</IPFamily>\n  </IPHostGroup>',
      ),
      res.body,
    );
    await client.setIpHostGroups([{ name: "e", ipFamily: "IPv4", description: "d", hosts: [] }], "add");
    const res2 = await postReqxml(
      emu,
      requestXml(
        '<Get><IPHostGroup><Filter><key name="Name" criteria="=">e</key></Filter></IPHostGroup></Get>',
      ),
    );
    assert.ok(
      res2.body.includes("<Name>e</Name>\n    <Description>d</Description>\n    <IPFamily>IPv4</IPFamily>"),
      res2.body,
    );
  });

  test("membership is one relation, set and seen from both sides", async () => {
    await client.setIpHostGroups([{ name: "g1", ipFamily: "IPv4", description: "", hosts: [] }], "add");
    await client.setIpHostGroups([{ name: "g2", ipFamily: "IPv4", description: "", hosts: [] }], "add");
    await client.setIpHosts([host("a", "192.0.2.1", ["g1"]), host("b", "192.0.2.2")], "add");
    assert.deepEqual((await client.getIpHostGroup("g1"))?.hosts, ["a"]);
    const [o] = await client.setIpHostGroups(
      [{ name: "g2", ipFamily: "IPv4", description: "", hosts: ["b", "a"] }],
      "update",
    );
    assert.equal(o?.code, 200);
    const hosts = await client.getIpHostsByNamePrefix("");
    assert.deepEqual(hosts.find((h) => h.name === "a")?.hostGroups, ["g1", "g2"]);
    assert.deepEqual(hosts.find((h) => h.name === "b")?.hostGroups, ["g2"]);
    // Host update without HostGroupList drops it out of every group.
    await client.unlinkIpHosts([host("a", "192.0.2.1")]);
    assert.deepEqual((await client.getIpHostGroup("g1"))?.hosts, []);
    assert.deepEqual((await client.getIpHostGroup("g2"))?.hosts, ["b"]);
  });

  test("update replaces the whole object: omitted fields reset, HostList replaced", async () => {
    await client.setIpHosts([host("a", "192.0.2.1"), host("b", "192.0.2.2")], "add");
    await client.setIpHostGroups(
      [{ name: "g", ipFamily: "IPv4", description: "keep?", hosts: ["a", "b"] }],
      "add",
    );
    await api(
      emu,
      '<Set operation="update"><IPHostGroup><Name>g</Name><HostList><Host>b</Host></HostList></IPHostGroup></Set>',
    );
    const g = await client.getIpHostGroup("g");
    assert.deepEqual([g?.description ?? "", g?.hosts], ["", ["b"]]);
  });

  test("a host cannot be removed while in a group (510); after unlinking it can", async () => {
    await client.setIpHostGroups([{ name: "g", ipFamily: "IPv4", description: "", hosts: [] }], "add");
    await client.setIpHosts([host("a", "192.0.2.1", ["g"])], "add");
    let [o] = await client.removeIpHosts(["a"]);
    assert.deepEqual(
      [o?.code, o?.text],
      [510, "Operation failed. Deleting entity referred by another entity."],
    );
    await client.unlinkIpHosts([host("a", "192.0.2.1")]);
    [o] = await client.removeIpHosts(["a"]);
    assert.equal(o?.code, 200);
    assert.deepEqual(await client.getIpHosts({ key: "Name", criteria: "=", value: "a" }), []);
  });

  test("references to missing objects: host→group 500, group add 501, group update 500", async () => {
    let [o] = await client.setIpHosts([host("a", "192.0.2.1", ["nogroup"])], "add");
    assert.equal(o?.code, 500);
    assert.equal(emu.store.hosts.has("a"), false);
    [o] = await client.setIpHostGroups(
      [{ name: "g", ipFamily: "IPv4", description: "", hosts: ["nohost"] }],
      "add",
    );
    assert.deepEqual([o?.code, o?.text], [501, "Configuration parameters validation failed."]);
    await client.setIpHostGroups([{ name: "g", ipFamily: "IPv4", description: "", hosts: [] }], "add");
    [o] = await client.setIpHostGroups(
      [{ name: "g", ipFamily: "IPv4", description: "", hosts: ["nohost"] }],
      "add",
    );
    assert.equal(o?.code, 501, "add naming a missing host is 501 even when the group exists");
    [o] = await client.setIpHostGroups(
      [{ name: "g", ipFamily: "IPv4", description: "", hosts: ["nohost"] }],
      "update",
    );
    assert.deepEqual([o?.code, o?.text], [500, "Operation could not be performed on Entity."]);
  });

  test("update of a missing object answers 500", async () => {
    const [o] = await client.setIpHosts([host("ghost", "192.0.2.1")], "update");
    assert.equal(o?.code, 500);
    const [g] = await client.setIpHostGroups(
      [{ name: "ghost", ipFamily: "IPv4", description: "", hosts: [] }],
      "update",
    );
    assert.equal(g?.code, 500);
  });

  test("mixing families between host and group is refused with 500", async () => {
    await client.setIpHostGroups([{ name: "v4", ipFamily: "IPv4", description: "", hosts: [] }], "add");
    const [o] = await client.setIpHosts([host("six", "2001:db8::1", ["v4"])], "add");
    assert.equal(o?.code, 500);
    await client.setIpHosts([host("six", "2001:db8::1")], "add");
    const [g] = await client.setIpHostGroups(
      [{ name: "v4", ipFamily: "IPv4", description: "", hosts: ["six"] }],
      "update",
    );
    assert.equal(g?.code, 500);
  });

  test("name rules and address validation answer 501", async () => {
    for (const bad of ["x".repeat(61), "a,b", "#hash"]) {
      const doc = await api(emu, `<Set operation="add">${ipHostXml(bad, "192.0.2.1")}</Set>`);
      assert.equal(statusesOf(doc, "IPHost")[0]?.code, "501", bad);
    }
    const wrong = [
      ipHostXml("v4bad", "2001:db8::1"),
      ipHostXml("v6bad", "192.0.2.1", [], "IPv6"),
      "<IPHost><Name>nosub</Name><HostType>Network</HostType><IPAddress>192.0.2.0</IPAddress></IPHost>",
      "<IPHost><Name>badmask</Name><HostType>Network</HostType><IPAddress>192.0.2.0</IPAddress><Subnet>255.0.255.0</Subnet></IPHost>",
      "<IPHost><Name>range</Name><HostType>IPRange</HostType><StartIPAddress>192.0.2.9</StartIPAddress><EndIPAddress>192.0.2.1</EndIPAddress></IPHost>",
      "<IPHost><Name>emptylist</Name><HostType>IPList</HostType><ListOfIPAddresses></ListOfIPAddresses></IPHost>",
      `<IPHost><Name>biglist</Name><HostType>IPList</HostType><ListOfIPAddresses>${Array.from({ length: 1001 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(",")}</ListOfIPAddresses></IPHost>`,
      "<IPHost><Name>mixedlist</Name><HostType>IPList</HostType><ListOfIPAddresses>192.0.2.1,2001:db8::1</ListOfIPAddresses></IPHost>",
      "<IPHost><Name>notype</Name><IPAddress>192.0.2.1</IPAddress></IPHost>",
    ];
    const doc = await api(emu, `<Set operation="add">${wrong.join("")}</Set>`);
    assert.deepEqual(
      statusesOf(doc, "IPHost").map((s) => s.code),
      wrong.map(() => "501"),
    );
  });

  test("Network, IPRange, IPList and IPv6 hosts are stored and read back", async () => {
    const ok = [
      "<IPHost><Name>net4</Name><HostType>Network</HostType><IPAddress>192.0.2.0</IPAddress><Subnet>255.255.255.0</Subnet></IPHost>",
      "<IPHost><Name>net6</Name><IPFamily>IPv6</IPFamily><HostType>Network</HostType><IPAddress>2001:db8::</IPAddress><Subnet>64</Subnet></IPHost>",
      "<IPHost><Name>net6m</Name><IPFamily>IPv6</IPFamily><HostType>Network</HostType><IPAddress>2001:db8::</IPAddress><Subnet>ffff:ffff:ffff:ffff::</Subnet></IPHost>",
      "<IPHost><Name>range</Name><HostType>IPRange</HostType><StartIPAddress>192.0.2.1</StartIPAddress><EndIPAddress>192.0.2.9</EndIPAddress></IPHost>",
      `<IPHost><Name>list</Name><HostType>IPList</HostType><ListOfIPAddresses>${Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(",")}</ListOfIPAddresses></IPHost>`,
    ];
    const doc = await api(emu, `<Set operation="add">${ok.join("")}</Set>`);
    assert.deepEqual(
      statusesOf(doc, "IPHost").map((s) => s.code),
      ok.map(() => "200"),
    );
    const hosts = await client.getIpHosts();
    const byName = new Map(hosts.map((h) => [h.name, h]));
    assert.equal(byName.get("net6")?.subnet, "64");
    assert.equal(byName.get("range")?.endIpAddress, "192.0.2.9");
    assert.equal(byName.get("list")?.listOfIpAddresses?.length, 1000);
  });

  test("Get filters: =, !=, case-sensitive like, first key only, unknown key = all, zero = code-less", async () => {
    await client.setIpHosts(
      [host("f2b_one", "192.0.2.1"), host("f2b_two", "192.0.2.2"), host("F2B_up", "192.0.2.3")],
      "add",
    );
    const names = async (key: string, criteria: "=" | "!=" | "like", value: string) =>
      (await client.getIpHosts({ key, criteria, value })).map((h) => h.name);
    assert.deepEqual(await names("Name", "=", "f2b_one"), ["f2b_one"]);
    assert.deepEqual(await names("Name", "like", "f2b_"), ["f2b_one", "f2b_two"]);
    assert.equal((await names("Name", "!=", "f2b_one")).includes("f2b_one"), false);
    assert.deepEqual(await names("IPAddress", "=", "192.0.2.3"), ["F2B_up"]);
    assert.equal((await names("Bogus", "=", "x")).length, 11);
    const firstOnly = await api(
      emu,
      '<Get><IPHost><Filter><key name="Name" criteria="=">f2b_one</key><key name="Name" criteria="=">f2b_two</key></Filter><Filter><key name="Name" criteria="=">F2B_up</key></Filter></IPHost></Get>',
    );
    const resp = firstOnly.Response as Record<string, unknown>;
    assert.equal((resp.IPHost as unknown[]).length, 1);
    const zero = await postReqxml(
      emu,
      requestXml('<Get><IPHost><Filter><key name="Name" criteria="=">none</key></Filter></IPHost></Get>'),
    );
    assert.ok(
      zero.body.includes('<IPHost transactionid="">\n    <Status>No. of records Zero.</Status>\n  </IPHost>'),
      zero.body,
    );
    assert.deepEqual(await names("Name", "=", "none"), []);
  });

  test("the older zero-records wording is switchable", async () => {
    const old = await startTestEmulator({ behaviour: { noRecordsText: "Number of records Zero." } });
    try {
      const doc = parseXml((await postReqxml(old, requestXml("<Get><IPHostGroup/></Get>"))).body);
      assert.deepEqual(statusesOf(doc, "IPHostGroup"), [
        { code: undefined, text: "Number of records Zero." },
      ]);
    } finally {
      await old.close();
    }
  });

  test("Remove with several Names answers one Status per name in one element; missing = 528", async () => {
    await client.setIpHosts([host("a", "192.0.2.1"), host("b", "192.0.2.2")], "add");
    const doc = await api(
      emu,
      "<Remove><IPHost><Name>a</Name><Name>missing</Name><Name>b</Name></IPHost></Remove>",
    );
    assert.deepEqual(statusesOf(doc, "IPHost"), [
      { code: "200", text: "Configuration applied successfully." },
      { code: "528", text: "Trying to update default entities which are not editable." },
      { code: "200", text: "Configuration applied successfully." },
    ]);
    assert.equal(((doc.Response as Record<string, unknown>).IPHost as unknown[]).length, 1);
  });

  test("several entities in one Set are processed in document order, each on its own", async () => {
    const doc = await api(
      emu,
      `<Set operation="add">${ipHostXml("a", "192.0.2.1")}${groupXml("g", ["a"])}${ipHostXml("a", "192.0.2.1")}${groupXml("h", ["zz"])}</Set>`,
    );
    assert.deepEqual(
      statusesOf(doc, "IPHost").map((s) => s.code),
      ["200", "502"],
    );
    assert.deepEqual(
      statusesOf(doc, "IPHostGroup").map((s) => s.code),
      ["200", "501"],
    );
    assert.deepEqual((await client.getIpHostGroup("g"))?.hosts, ["a"]);
  });

  test("<Remove><IPHostGroup> with a HostList is rejected; a plain group remove works", async () => {
    await client.setIpHosts([host("a", "192.0.2.1")], "add");
    await client.setIpHostGroups([{ name: "g", ipFamily: "IPv4", description: "", hosts: ["a"] }], "add");
    let doc = await api(
      emu,
      "<Remove><IPHostGroup><Name>g</Name><HostList><Host>a</Host></HostList></IPHostGroup></Remove>",
    );
    assert.equal(statusesOf(doc, "IPHostGroup")[0]?.code, "500");
    assert.deepEqual((await client.getIpHostGroup("g"))?.hosts, ["a"]);
    doc = await api(emu, "<Remove><IPHostGroup><Name>g</Name></IPHostGroup></Remove>");
    assert.equal(statusesOf(doc, "IPHostGroup")[0]?.code, "200");
    assert.equal(await client.getIpHostGroup("g"), undefined);
    assert.deepEqual(
      (await client.getIpHosts({ key: "Name", criteria: "=", value: "a" }))[0]?.hostGroups,
      [],
    );
  });

  test("mimic mode empties and breaks the group like the real XGS", async () => {
    const mimic = await startTestEmulator({ behaviour: { removeGroupWithHostList: "mimic" } });
    try {
      await api(mimic, `<Set>${ipHostXml("a", "192.0.2.1")}${groupXml("g", ["a"])}</Set>`);
      const doc = await api(
        mimic,
        "<Remove><IPHostGroup><Name>g</Name><HostList><Host>a</Host></HostList></IPHostGroup></Remove>",
      );
      assert.equal(statusesOf(doc, "IPHostGroup")[0]?.code, "200");
      assert.deepEqual(mimic.snapshot().groups[0]?.hosts, []);
      const later = await api(mimic, `<Set operation="update">${groupXml("g", ["a"])}</Set>`);
      assert.equal(statusesOf(later, "IPHostGroup")[0]?.code, "500");
    } finally {
      await mimic.close();
    }
  });

  test("counters count requests, entity reads and entity writes", async () => {
    await emu.reset();
    await client.setIpHosts([host("a", "192.0.2.1"), host("b", "192.0.2.2")], "add");
    await client.setIpHosts([host("a", "192.0.2.1")], "add");
    await client.getIpHostsByNamePrefix("");
    assert.equal(emu.counters.requests, 3);
    assert.equal(emu.counters.entityWrites, 3);
    assert.equal(emu.counters.entityWritesApplied, 2);
    assert.equal(emu.counters.entityReads, 10);
    assert.deepEqual(emu.counters.operations, { Get: 1, Set: 2, Remove: 0 });
  });
});
