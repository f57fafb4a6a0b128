import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { parseXml } from "../../src/protocol/index.ts";
import {
  ApiDisabledError,
  AuthenticationError,
  CallerNotAllowedError,
  SophosClient,
  TimeoutError,
  TransportError,
} from "../../src/sophos/index.ts";
import { tcpAnswer } from "../support/ports.ts";
import { waitUntil } from "../support/wait.ts";
import {
  api,
  control,
  groupXml,
  ipHostXml,
  PASSWORD,
  postReqxml,
  requestXml,
  send,
  startTestEmulator,
  statusesOf,
  USER,
} from "./helpers.ts";

const tcpRefused = async (port: number) => (await tcpAnswer(port)) === "ECONNREFUSED";

describe("emulator gates and faults", () => {
  let emu: RunningEmulator;
  let client: SophosClient;
  before(async () => {
    emu = await startTestEmulator({ controlPort: 0 });
    client = new SophosClient({
      url: emu.url,
      username: USER,
      password: PASSWORD,
      tls: { mode: "ca", ca: emu.certPem },
      requestTimeoutMs: 500,
    });
  });
  afterEach(() => emu.reset());
  after(async () => {
    client.close();
    await emu.close();
  });

  test("callerNotAllowed answers top-level 534 with no Login, before anything else", async () => {
    await emu.setFaults({ callerNotAllowed: true, apiDisabled: true });
    const res = await postReqxml(emu, "not xml at all");
    assert.match(
      res.body,
      /<Response APIVersion="2000.2" IPS_CAT_VER="1" IS_WIFI6="0">\n {2}<Status code="534">API operations are not allowed from the requester IP address<\/Status>\n<\/Response>/,
    );
    await assert.rejects(client.login(), CallerNotAllowedError);
  });

  test("an allow list without the caller answers 534", async () => {
    const strict = await startTestEmulator({ allowedCallers: ["192.0.2.7"] });
    try {
      const doc = parseXml((await postReqxml(strict, requestXml(""))).body);
      assert.equal(
        ((doc.Response as Record<string, unknown>).Status as Array<Record<string, string>>)[0]?.["@code"],
        "534",
      );
    } finally {
      await strict.close();
    }
  });

  test("apiDisabled answers top-level 532 before the 529 check", async () => {
    await emu.setFaults({ apiDisabled: true });
    const res = await postReqxml(emu, "<broken");
    assert.match(res.body, /<Status code="532">/);
    await assert.rejects(client.login(), ApiDisabledError);
  });

  test("wrongCredentials makes every login fail", async () => {
    await client.login();
    await emu.setFaults({ wrongCredentials: true });
    await assert.rejects(client.login(), AuthenticationError);
  });

  test("statusCode with count: per entity on writes (nothing applied), top-level on reads, then gone", async () => {
    await emu.setFaults({ statusCode: 500, count: 2 });
    const write = await api(emu, `<Set>${ipHostXml("a", "192.0.2.1")}${groupXml("g")}</Set>`);
    assert.deepEqual(statusesOf(write, "IPHost"), [
      { code: "500", text: "Operation could not be performed on Entity." },
    ]);
    assert.equal(statusesOf(write, "IPHostGroup")[0]?.code, "500");
    assert.equal(emu.store.hosts.has("a"), false);
    const read = await postReqxml(emu, requestXml("<Get><IPHost/></Get>"));
    assert.match(read.body, /<Response [^>]+>\n {2}<Status code="500">/);
    assert.equal(emu.faults().statusCode, null);
    const ok = await api(emu, `<Set>${ipHostXml("a", "192.0.2.1")}</Set>`);
    assert.equal(statusesOf(ok, "IPHost")[0]?.code, "200");
  });

  test("statusCode with scope http answers that HTTP status", async () => {
    await emu.setFaults({ statusCode: 503, scope: "http", statusText: "busy" });
    const res = await postReqxml(emu, requestXml(""));
    assert.equal(res.status, 503);
    assert.equal(res.body, "busy\n");
    assert.equal((await postReqxml(emu, requestXml(""))).status, 200);
  });

  test("reset destroys the connection without an answer, for the next N requests", async () => {
    await emu.setFaults({ reset: 1 });
    await assert.rejects(postReqxml(emu, requestXml("")), /socket hang up|ECONNRESET/);
    await client.login();
  });

  test("hang accepts and never answers", async () => {
    await emu.setFaults({ hang: true });
    await assert.rejects(client.login(), TimeoutError);
    await emu.setFaults({ hang: false });
    await client.login();
  });

  test("down refuses TCP connections; the control port still works and brings it back", async () => {
    const port = emu.port;
    const set = await control({ ...emu, url: emu.controlUrl ?? "" } as RunningEmulator, "POST", "/faults", {
      down: true,
    });
    assert.equal(set.status, 200);
    assert.equal(await tcpRefused(port), true);
    await assert.rejects(client.login(), TransportError);
    const state = await control({ ...emu, url: emu.controlUrl ?? "" } as RunningEmulator, "GET", "/state");
    assert.equal((state.json as { faults: { down: boolean } }).faults.down, true);
    await control({ ...emu, url: emu.controlUrl ?? "" } as RunningEmulator, "POST", "/faults", {
      down: false,
    });
    assert.equal(emu.port, port);
    await client.login();
  });

  test("downForMs brings the API back by itself", async () => {
    await emu.setFaults({ down: true, downForMs: 100 });
    assert.equal(await tcpRefused(emu.port), true);
    await waitUntil("the API accepts connections again", async () => !(await tcpRefused(emu.port)), 2000);
    await client.login();
  });

  test("the control endpoint needs its own secret, never the API password", async () => {
    assert.equal((await control(emu, "GET", "/state", undefined, "wrong")).status, 401);
    assert.equal((await control(emu, "GET", "/state", undefined, PASSWORD)).status, 401);
    assert.equal((await control(emu, "POST", "/faults", { nonsense: true })).status, 400);
    assert.equal((await control(emu, "POST", "/faults", { hang: "yes" })).status, 400);
    const ok = await control(emu, "POST", "/faults", { wrongCredentials: true });
    assert.equal((ok.json as { wrongCredentials: boolean }).wrongCredentials, true);
  });

  test("control: seed, state, reset, latency", async () => {
    await control(emu, "POST", "/seed", { foreign: 4 });
    const state = (await control(emu, "GET", "/state")).json as {
      objects: { hosts: Array<{ name: string }>; groups: Array<{ name: string; hosts: string[] }> };
      counters: { requests: number };
    };
    assert.equal(state.objects.hosts.filter((h) => h.name.startsWith("admin_host_")).length, 4);
    assert.deepEqual(state.objects.groups.find((g) => g.name === "admin_servers")?.hosts, [
      "admin_host_1",
      "admin_host_3",
    ]);
    const lat = await control(emu, "POST", "/latency", { readMs: 5 });
    assert.equal((lat.json as { readMs: number }).readMs, 5);
    assert.equal((await control(emu, "POST", "/latency", { readMs: -1 })).status, 400);
    await control(emu, "POST", "/reset", {});
    assert.equal(emu.snapshot().groups.length, 0);
    emu.setLatency({ readMs: 0 });
  });

  test("the HTML page shows groups and members, escaped", async () => {
    await emu.seed({
      hosts: [
        { name: "<b>x", ipFamily: "IPv4", hostType: "IP", ipAddress: "192.0.2.1", hostGroups: ["g&1"] },
      ],
      groups: [{ name: "g&1", ipFamily: "IPv4", description: "<script>", hosts: [] }],
    });
    const res = await send(emu, { method: "GET", path: "/_emulator/" });
    assert.equal(res.status, 200);
    assert.match(res.headers["content-type"] as string, /text\/html/);
    assert.ok(res.body.includes("&lt;b&gt;x"));
    assert.ok(res.body.includes("g&amp;1"));
    assert.ok(!res.body.includes("<script>"));
  });
});

describe("emulator latency", () => {
  test("requests are processed one at a time, latency included", async () => {
    const emu = await startTestEmulator({ latency: { writeMs: 100 } });
    try {
      const started = Date.now();
      await Promise.all([
        api(emu, `<Set>${ipHostXml("a", "192.0.2.1")}</Set>`),
        api(emu, `<Set>${ipHostXml("b", "192.0.2.2")}</Set>`),
      ]);
      assert.ok(Date.now() - started >= 195, `took ${Date.now() - started} ms`);
    } finally {
      await emu.close();
    }
  });

  test("entity latency and time scale", async () => {
    const emu = await startTestEmulator({
      latency: { readMs: 1000, writeMs: 1000, entityMs: 500, timeScale: 0.05 },
    });
    try {
      let started = Date.now();
      await api(emu, "<Get><IPHost/></Get>");
      const read = Date.now() - started;
      assert.ok(read >= 45 && read < 600, `read took ${read} ms`);
      started = Date.now();
      await api(emu, `<Set>${ipHostXml("a", "192.0.2.1")}${ipHostXml("b", "192.0.2.2")}</Set>`);
      const write = Date.now() - started;
      assert.ok(write >= 95 && write < 800, `write took ${write} ms`);
    } finally {
      await emu.close();
    }
  });
});
