/**
 * The fidelity switches of issue 15: each one on both sides, over real HTTPS.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { attributeOf, listOf, parseXml, type XmlNode } from "../../src/protocol/index.ts";
import {
  api,
  groupXml,
  ipHostXml,
  loginStatus,
  postReqxml,
  requestXml,
  send,
  startTestEmulator,
  statusesOf,
} from "./helpers.ts";

const open: RunningEmulator[] = [];
after(async () => {
  await Promise.all(open.map((e) => e.close()));
});

async function emulator(options: Parameters<typeof startTestEmulator>[0] = {}): Promise<RunningEmulator> {
  const emu = await startTestEmulator(options);
  open.push(emu);
  return emu;
}

function tidsOf(doc: XmlNode, tag: string): Array<string | undefined> {
  return listOf((doc.Response as XmlNode)[tag]).map((el) => attributeOf(el, "transactionid"));
}

describe("transactionid", () => {
  test("echoed per entity by default (writes, Gets, zero matches)", async () => {
    const emu = await emulator();
    const doc = await api(
      emu,
      `<Set>${groupXml("g1").replace("<IPHostGroup>", '<IPHostGroup transactionid="add-g1">')}${groupXml("g2").replace("<IPHostGroup>", '<IPHostGroup transactionid="add &amp; g2">')}</Set>`,
    );
    assert.deepEqual(tidsOf(doc, "IPHostGroup"), ["add-g1", "add & g2"]);
    const read = await api(emu, `<Get><IPHostGroup transactionid="read-1"/></Get>`);
    assert.deepEqual(tidsOf(read, "IPHostGroup"), ["read-1", "read-1"]);
    const none = await api(
      emu,
      `<Get><IPHost transactionid="none"><Filter><key name="Name" criteria="=">nope</key></Filter></IPHost></Get>`,
    );
    assert.deepEqual(tidsOf(none, "IPHost"), ["none"]);
    const bare = await api(emu, `<Set>${groupXml("g3")}</Set>`);
    assert.deepEqual(tidsOf(bare, "IPHostGroup"), [""]);
  });

  test("always empty with echoTransactionId off", async () => {
    const emu = await emulator({ behaviour: { echoTransactionId: false } });
    const doc = await api(emu, `<Set><IPHostGroup transactionid="x"><Name>g</Name></IPHostGroup></Set>`);
    assert.deepEqual(tidsOf(doc, "IPHostGroup"), [""]);
  });
});

describe("entity types the emulator does not model", () => {
  test("known types answer no records by default; unknown tags stay Transaction fail", async () => {
    const emu = await emulator();
    const doc = await api(emu, "<Get><FQDNHost/><MACHost/><FQDNHostGroup/><NoSuchThing/></Get>");
    assert.deepEqual(statusesOf(doc, "FQDNHost"), [{ code: undefined, text: "No. of records Zero." }]);
    assert.deepEqual(statusesOf(doc, "MACHost"), [{ code: undefined, text: "No. of records Zero." }]);
    assert.deepEqual(statusesOf(doc, "FQDNHostGroup"), [{ code: undefined, text: "No. of records Zero." }]);
    assert.deepEqual(statusesOf(doc, "NoSuchThing"), [{ code: undefined, text: "Transaction fail" }]);
  });

  test("Transaction fail for every unmodelled type with the switch", async () => {
    const emu = await emulator({ behaviour: { unmodelledGet: "transaction-fail" } });
    const doc = await api(emu, "<Get><FQDNHost/></Get>");
    assert.deepEqual(statusesOf(doc, "FQDNHost"), [{ code: undefined, text: "Transaction fail" }]);
  });
});

describe("tag case", () => {
  test("sensitive by default: a lower-case entity is unknown, a lower-case root is invalid", async () => {
    const emu = await emulator();
    const doc = await api(emu, "<Get><iphost/></Get>");
    assert.deepEqual(statusesOf(doc, "iphost"), [{ code: undefined, text: "Transaction fail" }]);
    const res = await postReqxml(emu, "<request><login><username>a</username></login></request>");
    assert.match(res.body, /<Status code="529">/);
  });

  test("insensitive: any casing of known tags works", async () => {
    const emu = await emulator({ behaviour: { tagCase: "insensitive" } });
    const doc = await api(
      emu,
      "<set><iphostgroup><name>g</name><ipfamily>IPv4</ipfamily></iphostgroup></set>",
    );
    assert.deepEqual(statusesOf(doc, "IPHostGroup"), [
      { code: "200", text: "Configuration applied successfully." },
    ]);
    assert.equal(emu.snapshot().groups.find((g) => g.name === "g")?.ipFamily, "IPv4");
  });
});

describe("login lockout", () => {
  test("off by default: failures never block a good login", async () => {
    const emu = await emulator();
    for (let i = 0; i < 6; i++) await postReqxml(emu, requestXml("", "apiuser", "wrong"));
    assert.equal(loginStatus(await api(emu, "")), "Authentication Successful");
  });

  test("after N failures a good login fails too, until the block ends", async () => {
    const emu = await emulator({ behaviour: { loginLockout: { failures: 2, minutes: 1 } } });
    await postReqxml(emu, requestXml("", "apiuser", "wrong"));
    assert.equal(loginStatus(await api(emu, "")), "Authentication Successful", "a success resets the count");
    await postReqxml(emu, requestXml("", "apiuser", "wrong"));
    await postReqxml(emu, requestXml("", "apiuser", "wrong"));
    assert.equal(loginStatus(await api(emu, "")), "Authentication Failure");
    await emu.reset({ objects: false, faults: false });
    assert.equal(loginStatus(await api(emu, "")), "Authentication Successful");
  });
});

describe("GET and the URL length", () => {
  test("GET allowed by default, refused (529) with the switch", async () => {
    const allowing = await emulator();
    assert.equal(
      loginStatus(parseXml((await postReqxml(allowing, requestXml(""), "get")).body)),
      "Authentication Successful",
    );
    const refusing = await emulator({ behaviour: { getRequests: "refuse" } });
    assert.match((await postReqxml(refusing, requestXml(""), "get")).body, /<Status code="529">/);
    assert.equal(loginStatus(await api(refusing, "")), "Authentication Successful", "POST still works");
  });

  test("a request line over maxUrlBytes answers HTTP 414", async () => {
    const emu = await emulator({ behaviour: { maxUrlBytes: 200 } });
    const long = await send(emu, {
      method: "GET",
      path: `/webconsole/APIController?reqxml=${"x".repeat(300)}`,
    });
    assert.equal(long.status, 414);
    assert.equal(loginStatus(await api(emu, "")), "Authentication Successful");
  });
});

describe("removal of a member host, missing group, invalid values, IP list size", () => {
  test("510 by default, 504 when configured, with the same text", async () => {
    for (const code of [510, 504]) {
      const emu = await emulator(code === 504 ? { behaviour: { removeMember: 504 } } : {});
      await api(emu, `<Set>${groupXml("g")}</Set>`);
      await api(emu, `<Set>${ipHostXml("h", "192.0.2.1", ["g"])}</Set>`);
      const doc = await api(emu, "<Remove><IPHost><Name>h</Name></IPHost></Remove>");
      assert.deepEqual(statusesOf(doc, "IPHost"), [
        { code: String(code), text: "Operation failed. Deleting entity referred by another entity." },
      ]);
    }
  });

  test("Remove of a missing group: 528 by default, configurable", async () => {
    const plain = await emulator();
    const remove = "<Remove><IPHostGroup><Name>nope</Name></IPHostGroup></Remove>";
    assert.equal(statusesOf(await api(plain, remove), "IPHostGroup")[0]?.code, "528");
    const other = await emulator({ behaviour: { removeMissingGroupCode: 500 } });
    assert.equal(statusesOf(await api(other, remove), "IPHostGroup")[0]?.code, "500");
  });

  test("an invalid enumerated value answers 501 by default, 500 with the switch; other faults stay 501", async () => {
    const bad =
      "<Set><IPHost><Name>h</Name><HostType>Bogus</HostType><IPAddress>192.0.2.1</IPAddress></IPHost></Set>";
    const badFamily =
      "<Set><IPHost><Name>h</Name><IPFamily>IPv5</IPFamily><HostType>IP</HostType><IPAddress>192.0.2.1</IPAddress></IPHost></Set>";
    const badAddress = `<Set>${ipHostXml("h", "192.0.2.300")}</Set>`;
    const strict = await emulator();
    assert.equal(statusesOf(await api(strict, bad), "IPHost")[0]?.code, "501");
    const loose = await emulator({ behaviour: { invalidEnumCode: 500 } });
    assert.equal(statusesOf(await api(loose, bad), "IPHost")[0]?.code, "500");
    assert.equal(statusesOf(await api(loose, badFamily), "IPHost")[0]?.code, "500");
    assert.equal(statusesOf(await api(loose, badAddress), "IPHost")[0]?.code, "501");
  });

  test("the IP list limit is a switch", async () => {
    const list = (n: number) =>
      `<Set><IPHost><Name>l</Name><IPFamily>IPv4</IPFamily><HostType>IPList</HostType><ListOfIPAddresses>${Array.from(
        { length: n },
        (_, i) => `10.0.${i >> 8}.${i & 255}`,
      ).join(",")}</ListOfIPAddresses></IPHost></Set>`;
    const emu = await emulator({ behaviour: { ipListMax: 3 } });
    assert.equal(statusesOf(await api(emu, list(3)), "IPHost")[0]?.code, "200");
    assert.equal(statusesOf(await api(emu, list(4)), "IPHost")[0]?.code, "501");
  });
});

describe("allowed API sources", () => {
  test("addresses, CIDRs and ranges", async () => {
    for (const [entries, allowed] of [
      [["127.0.0.1"], true],
      [["127.0.0.0/8"], true],
      [["127.0.0.0/255.0.0.0"], true],
      [["127.0.0.1-127.0.0.9"], true],
      [["10.0.0.0/8", "127.0.0.2-127.0.0.9"], false],
    ] as const) {
      const emu = await emulator({ allowedCallers: [...entries] });
      const res = await postReqxml(emu, requestXml(""));
      assert.equal(res.body.includes('code="534"'), !allowed, entries.join(" "));
    }
  });

  test("SFOS 22 style: IP host objects name the allowed sources, read at each request", async () => {
    const emu = await emulator({ allowedCallerHosts: ["apiconfig_admin_net"] });
    assert.match((await postReqxml(emu, requestXml(""))).body, /code="534"/, "no such host: nobody");
    await emu.seed({
      hosts: [
        {
          name: "apiconfig_admin_net",
          ipFamily: "IPv4",
          hostType: "Network",
          ipAddress: "127.0.0.0",
          subnet: "255.0.0.0",
          hostGroups: [],
        },
      ],
    });
    assert.equal(loginStatus(await api(emu, "")), "Authentication Successful");
  });
});
