/**
 * Emulator profiles: the shipped ones load and behave as they say, bad ones are refused with
 * the file and the key named, and command-line flags win over a profile.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runEmulatorCommand } from "../../src/emulator/command.ts";
import {
  DEFAULT_BEHAVIOUR,
  loadProfile,
  ProfileError,
  type RunningEmulator,
  withProfile,
} from "../../src/emulator/index.ts";
import { attributeOf, listOf, parseXml, type XmlNode } from "../../src/protocol/index.ts";
import { REPO } from "../support/harness.ts";
import { api, loginStatus, postReqxml, requestXml, startTestEmulator } from "./helpers.ts";

export const SHIPPED_PROFILES = ["sfos-20", "sfos-22"].map((name) => join(REPO, "profiles", `${name}.json`));

const open: RunningEmulator[] = [];
after(async () => {
  await Promise.all(open.map((e) => e.close()));
});

async function withProfileFile(path: string, extra = {}): Promise<RunningEmulator> {
  const emu = await startTestEmulator(
    withProfile(await loadProfile(path), { latency: { timeScale: 0 }, ...extra }),
  );
  open.push(emu);
  return emu;
}

describe("shipped profiles", () => {
  test("sfos-20 is the defaults written out", async () => {
    const profile = await loadProfile(SHIPPED_PROFILES[0]!);
    assert.deepEqual(profile.behaviour, DEFAULT_BEHAVIOUR);
    const emu = await withProfileFile(SHIPPED_PROFILES[0]!);
    const doc = await api(emu, "");
    assert.equal(attributeOf((doc as XmlNode).Response, "APIVersion"), "2000.2");
  });

  test("sfos-22 reports its APIVersion and allows loopback through apiconfig_ host objects", async () => {
    const emu = await withProfileFile(SHIPPED_PROFILES[1]!);
    const doc = await api(emu, "");
    assert.equal(loginStatus(doc), "Authentication Successful");
    assert.equal(attributeOf(doc.Response, "APIVersion"), "2200.1");
    const names = emu.snapshot().hosts.map((h) => h.name);
    assert.ok(names.includes("apiconfig_127.0.0.1"), names.join(","));
    // Take the allowed source away: the caller is refused (534), so the objects really decide.
    await api(emu, "<Remove><IPHost><Name>apiconfig_127.0.0.1</Name></IPHost></Remove>");
    assert.match((await postReqxml(emu, requestXml(""))).body, /code="534"/);
  });
});

describe("bad profiles", () => {
  test("refused with the file and the key named", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emu-profile-"));
    try {
      for (const [content, expected] of [
        ["{", /not JSON/],
        ['{"behaviour": {"removeMember": "maybe"}}', /behaviour\.removeMember/],
        ['{"behaviour": {"noSuchSwitch": true}}', /behaviour/],
        ['{"seed": {"hosts": [{"ipAddress": "192.0.2.1"}]}}', /bad seed/],
      ] as const) {
        const path = join(dir, "p.json");
        await writeFile(path, content);
        await assert.rejects(loadProfile(path), (error: unknown) => {
          assert.ok(error instanceof ProfileError);
          assert.match(error.message, expected);
          assert.ok(error.message.includes(path));
          return true;
        });
      }
      await assert.rejects(loadProfile(join(dir, "missing.json")), /cannot be read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("emulator --profile", () => {
  test("a probe report is accepted as it is, flags win, a bad profile exits 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emu-profile-"));
    try {
      const report = join(dir, "probe-result.json");
      await writeFile(
        report,
        JSON.stringify({
          format: "f2b-sophosxg-probe/1",
          steps: [],
          profile: { apiVersion: "2100.9", behaviour: { echoTransactionId: false } },
        }),
      );
      const out: string[] = [];
      const io = { stdout: (l: string) => out.push(l), stderr: () => {} };
      const stop = new AbortController();
      const args = ["--port", "0", "--profile", report, "--api-version", "2000.7", "--user", "apiuser"];
      const done = runEmulatorCommand([...args, "--password", "p"], io, stop.signal);
      for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const url = /url=(\S+)/.exec(out[0] ?? "")?.[1] ?? "";
      const fake = { url, certPem: "" } as RunningEmulator;
      const { request } = await import("node:https");
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          `${fake.url}/webconsole/APIController`,
          {
            method: "POST",
            rejectUnauthorized: false,
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
          },
          (res) => {
            let text = "";
            res.on("data", (c: Buffer) => {
              text += c.toString();
            });
            res.on("end", () => resolve(text));
          },
        );
        req.on("error", reject);
        req.end(
          `reqxml=${encodeURIComponent(requestXml('<Set><IPHostGroup transactionid="t"><Name>g</Name></IPHostGroup></Set>', "apiuser", "p"))}`,
        );
      });
      stop.abort();
      assert.equal(await done, 0);
      const doc = parseXml(body);
      assert.equal(attributeOf(doc.Response, "APIVersion"), "2000.7", "the flag wins");
      assert.equal(
        attributeOf(listOf((doc.Response as XmlNode).IPHostGroup)[0], "transactionid"),
        "",
        "the report's switch applies",
      );
      const bad = join(dir, "bad.json");
      await writeFile(bad, '{"behaviour": {"tagCase": "upper"}}');
      const errors: string[] = [];
      const code = await runEmulatorCommand(["--profile", bad], {
        stdout: () => {},
        stderr: (l) => errors.push(l),
      });
      assert.equal(code, 2);
      assert.match(errors.join("\n"), /behaviour\.tagCase/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
