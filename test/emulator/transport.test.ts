import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.ts";
import { parseXml } from "../../src/protocol/index.ts";
import {
  loginStatus,
  PASSWORD,
  postReqxml,
  requestXml,
  send,
  startTestEmulator,
  statusesOf,
  USER,
  type Via,
} from "./helpers.ts";

describe("emulator transport", () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startTestEmulator({ maxBodyBytes: 64 * 1024 });
  });
  after(() => emu.close());

  for (const via of ["urlencoded", "query", "get", "multipart"] as Via[]) {
    test(`accepts reqxml via ${via}`, async () => {
      const res = await postReqxml(emu, requestXml("<Get><IPHost/></Get>"), via);
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-type"], "text/xml; charset=UTF-8");
      assert.ok(
        res.body.startsWith(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Response APIVersion="2000.2" IPS_CAT_VER="1" IS_WIFI6="0">',
        ),
      );
      const doc = parseXml(res.body);
      assert.equal(loginStatus(doc), "Authentication Successful");
      assert.equal(emu.requestLog().at(-1)?.via, via === "get" ? "query" : via);
    });
  }

  test("a login-only request answers only the Login block (sample 09)", async () => {
    const res = await postReqxml(emu, requestXml(""));
    assert.match(
      res.body,
      /<Response [^>]*>\n {2}<Login>\n {4}<status>Authentication Successful<\/status>\n {2}<\/Login>\n<\/Response>/,
    );
  });

  test("a password with <&\"' works when the client escapes it", async () => {
    assert.match(PASSWORD, /[<&"']/);
    const doc = parseXml((await postReqxml(emu, requestXml(""))).body);
    assert.equal(loginStatus(doc), "Authentication Successful");
  });

  test("wrong credentials answer only Authentication Failure", async () => {
    const res = await postReqxml(emu, requestXml("<Get><IPHost/></Get>", USER, "wrong"));
    const doc = parseXml(res.body);
    assert.equal(loginStatus(doc), "Authentication Failure");
    assert.deepEqual(
      Object.keys(doc.Response as object).filter((k) => !k.startsWith("@")),
      ["Login"],
    );
    const res2 = await postReqxml(emu, requestXml("", "nobody", PASSWORD));
    assert.equal(loginStatus(parseXml(res2.body)), "Authentication Failure");
  });

  const invalid =
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response>\n {2}<Status code="529">Input request file is Invalid<\/Status>\n<\/Response>\n$/;

  test("malformed XML, a missing reqxml, a DOCTYPE and a wrong root answer top-level 529 without attributes", async () => {
    const doctype = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]>${requestXml("")}`;
    for (const xml of ["<Request><Login>", doctype, "<Other/>", "not xml"]) {
      const res = await postReqxml(emu, xml);
      assert.equal(res.status, 200);
      assert.match(res.body, invalid, xml);
    }
    const none = await send(emu, {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "other=1",
    });
    assert.match(none.body, invalid);
    // An unencoded & truncates the form field, as on the real firewall.
    const raw = await send(emu, {
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `reqxml=${requestXml("").replace("s3cr&lt;", "s3cr&")}`,
    });
    assert.match(raw.body, invalid);
  });

  test("a body over the size cap answers 529", async () => {
    const big = requestXml(`<Get><IPHost><Name>${"x".repeat(70 * 1024)}</Name></IPHost></Get>`);
    const res = await postReqxml(emu, big);
    assert.match(res.body, invalid);
    assert.equal(emu.requestLog().at(-1)?.outcome, "529-too-large");
  });

  test("other paths answer 404", async () => {
    const res = await send(emu, { method: "GET", path: "/webconsole/Other" });
    assert.equal(res.status, 404);
  });

  test("several emulators run side by side on port 0 with their own certificates", async () => {
    const other = await startTestEmulator();
    try {
      assert.notEqual(other.port, emu.port);
      assert.notEqual(other.fingerprint256, emu.fingerprint256);
      assert.match(other.fingerprint256, /^[0-9a-f]{64}$/);
      const res = await postReqxml(other, requestXml(""));
      assert.equal(loginStatus(parseXml(res.body)), "Authentication Successful");
    } finally {
      await other.close();
    }
  });

  test("plain HTTP only with insecureHttp", async () => {
    const plain = await startTestEmulator({ insecureHttp: true });
    try {
      assert.match(plain.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(plain.fingerprint256, "");
      const doc = parseXml((await postReqxml(plain, requestXml(""))).body);
      assert.equal(loginStatus(doc), "Authentication Successful");
    } finally {
      await plain.close();
    }
  });

  test("unknown entity in Get answers code-less Transaction fail", async () => {
    const doc = parseXml((await postReqxml(emu, requestXml("<Get><NoSuchEntity/></Get>"))).body);
    assert.deepEqual(statusesOf(doc, "NoSuchEntity"), [{ code: undefined, text: "Transaction fail" }]);
  });
});
