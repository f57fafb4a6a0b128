/**
 * Hostile input, thousands of generated cases (fast-check): the response parser and the client
 * (through a custom Transport, the documented injection point) get mutated real answers from
 * test/fixtures/sophos-samples and random XML-ish text; the config loader gets random JSON,
 * mutated valid configs and random text. Nothing may throw anything but an F2bError subclass,
 * nothing may take long, and the config loader never quotes the password.
 */
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { loadConfig } from "../../src/config/index.ts";
import { F2bError } from "../../src/errors/index.ts";
import { parseResponse, SophosClient } from "../../src/sophos/index.ts";
import type { Transport, TransportResponse } from "../../src/sophos/types.ts";
import { readSample, sampleFiles } from "../sophos/samples.ts";
import { tempDir } from "../support/harness.ts";

const SAMPLES = sampleFiles()
  .filter((f) => f.endsWith(".xml"))
  .map(readSample);
const TOKENS = [
  "<Response>",
  "</Response>",
  '<Response APIVersion="2000.2" IPS_CAT_VER="1">',
  "<Login><status>Authentication Successful</status></Login>",
  "<Login><status>Authentication Failure</status></Login>",
  '<Status code="200">Configuration applied successfully.</Status>',
  '<Status code="500">',
  '<Status code="532">',
  '<Status code="534">',
  '<Status code="abc">',
  "</Status>",
  '<IPHost transactionid="">',
  "</IPHost>",
  "<IPHostGroup>",
  "</IPHostGroup>",
  "<Name>",
  "</Name>",
  "<HostList><Host>a</Host></HostList>",
  "<IPFamily>IPv4</IPFamily>",
  "<HostType>IP</HostType>",
  "<IPAddress>192.0.2.1</IPAddress>",
  "No. of records Zero.",
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  '<!DOCTYPE x [<!ENTITY a "&b;&b;">]>',
  "&lt;",
  "&#x0;",
  "&amp;",
  "&unknown;",
  "<?xml version='1.0'?>",
  "<",
  ">",
  "/",
  '"',
  "=",
  "\u0000",
  "\uFEFF",
  "<html><body>Login</body></html>",
];

const xmlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(...TOKENS),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: "grapheme", maxLength: 4 }),
    ),
    {
      maxLength: 60,
    },
  )
  .map((parts) => parts.join(""));

/** A real answer with random cuts, insertions, duplications and character flips. */
const mutatedSample = fc
  .tuple(
    fc.constantFrom(...SAMPLES),
    fc.array(
      fc.tuple(
        fc.constantFrom("cut", "insert", "dup", "flip", "truncate"),
        fc.nat(),
        fc.nat(),
        fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })),
      ),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([sample, edits]) => {
    let s = sample;
    for (const [op, a, b, text] of edits) {
      const i = s.length === 0 ? 0 : a % s.length;
      const j = s.length === 0 ? 0 : Math.min(s.length, i + (b % 40));
      if (op === "cut") s = s.slice(0, i) + s.slice(j);
      else if (op === "insert") s = s.slice(0, i) + text + s.slice(i);
      else if (op === "dup") s = s.slice(0, j) + s.slice(i, j) + s.slice(i);
      else if (op === "flip")
        s = `${s.slice(0, i)}${String.fromCharCode((s.charCodeAt(i) || 0) ^ (1 << (b % 7)))}${s.slice(i + 1)}`;
      else s = s.slice(0, i);
    }
    return s;
  });

const body = fc.oneof(
  { weight: 3, arbitrary: mutatedSample },
  { weight: 2, arbitrary: xmlish },
  fc.constantFrom(...SAMPLES),
);
const answer: fc.Arbitrary<TransportResponse> = fc.record({
  status: fc.oneof({ weight: 8, arbitrary: fc.constant(200) }, fc.integer({ min: 100, max: 599 })),
  headers: fc.record(
    {
      "content-type": fc.oneof(
        fc.constantFrom("text/xml", "application/xml; charset=UTF-8", "text/html", "application/json"),
        fc.string({ maxLength: 20 }),
      ),
    },
    { requiredKeys: [] },
  ),
  body,
});

/** Runs `fn`, requires it to return or throw an F2bError within `limitMs`. */
async function bounded(label: string, input: unknown, fn: () => unknown, limitMs = 1000): Promise<void> {
  const started = performance.now();
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof F2bError)) {
      assert.fail(
        `${label} threw ${(error as Error)?.name}: ${(error as Error)?.message} for ${JSON.stringify(input).slice(0, 400)}`,
      );
    }
  }
  const took = performance.now() - started;
  assert.ok(took < limitMs, `${label} took ${took.toFixed(0)} ms for ${JSON.stringify(input).slice(0, 200)}`);
}

// fast-xml-parser's validator lets some broken shapes through that its parser then rejects with a
// plain Error ("Pi Tag is not closed.", "CDATA is not closed.", "<P/"): parseXml must type them.
test("parseResponse: a few known shapes that pass the validator are still typed errors", () => {
  for (const body of ["<?xml?><R><?pi", "<R><!-- x", "<R><![CDATA[x", "<P/"]) {
    assert.throws(
      () => parseResponse({ status: 200, headers: { "content-type": "text/xml" }, body }, "https://fw:4444"),
      (e: unknown) => e instanceof F2bError,
    );
  }
});

test("parseResponse: 4000 hostile answers, only typed errors, each fast", async () => {
  await fc.assert(
    fc.asyncProperty(answer, async (a) =>
      bounded("parseResponse", a, () => parseResponse(a, "https://fw:4444")),
    ),
    { numRuns: 4000 },
  );
});

class FuzzTransport implements Transport {
  constructor(private readonly answers: TransportResponse[]) {}
  async post(): Promise<TransportResponse> {
    const next = this.answers.shift();
    if (next === undefined) return { status: 200, headers: {}, body: "<Response></Response>" };
    return next;
  }
  close(): void {}
}

test("the client over a transport answering hostile bodies: 1500 runs, only typed errors", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 3 }), fc.nat(5), async (answers, which) => {
      const client = new SophosClient({
        url: "https://fw.example:4444",
        username: "apiuser",
        password: "Fz<&>pw",
        tls: { mode: "system" },
        transport: new FuzzTransport([...answers]),
      });
      const calls: Array<() => Promise<unknown>> = [
        () => client.login(),
        () => client.getIpHosts(),
        () => client.getIpHostsByNamePrefix("f2b_"),
        () => client.getIpHostGroup("fail2ban"),
        () =>
          client.setIpHosts(
            [
              {
                name: "f2b_192.0.2.1",
                ipFamily: "IPv4",
                hostType: "IP",
                ipAddress: "192.0.2.1",
                hostGroups: ["fail2ban"],
              },
            ],
            "add",
          ),
        () => client.removeIpHosts(["f2b_192.0.2.1", "f2b_192.0.2.2"]),
      ];
      try {
        await bounded("client", answers, calls[which % calls.length] as () => Promise<unknown>);
      } finally {
        client.close();
      }
    }),
    { numRuns: 1500 },
  );
});

const tmp = tempDir("f2b-fuzz-config");
after(() => tmp.cleanup());
const MARKER = "Fz-Marker-Pw-93";
const VALID = {
  url: "https://192.0.2.1:4444",
  user: "apiuser",
  pass: MARKER,
  tls_pin_sha256: "ab".repeat(32),
  iphost_prefix: "f2b_",
  iphostgroup_name: "fail2ban",
  state_dir: "/var/lib/f2b-sophosxg",
};
const KEYS = [
  ...Object.keys(VALID),
  "pass_file",
  "pass_env",
  "verifySslCertificate",
  "tls_insecure",
  "tls_ca_file",
  "iphostgroup_name_v6",
  "connect_timeout_ms",
  "request_timeout_ms",
  "max_entities_per_request",
  "layout",
  "allow_world_readable",
  "allow_insecure_http",
  "log_level",
  "__proto__",
  "constructor",
];

const configText = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.dictionary(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 2 })), fc.boolean())
      .map(([edits, dropPass]) => {
        const value: Record<string, unknown> = { ...VALID, ...edits };
        if (dropPass) delete value.pass;
        return JSON.stringify(value);
      }),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.nat(), fc.string({ maxLength: 5 })).map(([at, text]) => {
      const valid = JSON.stringify(VALID);
      const i = at % valid.length;
      return valid.slice(0, i) + text + valid.slice(i + (at % 3));
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

test("loadConfig: 2500 generated config files, only ConfigError, never the password in a message", async () => {
  const path = join(tmp.dir, "config.json");
  await fc.assert(
    fc.asyncProperty(configText, async (text) => {
      writeFileSync(path, text);
      chmodSync(path, 0o600);
      const started = performance.now();
      try {
        const loaded = await loadConfig({ path, env: {} });
        assert.ok(!loaded.warnings.join("\n").includes(MARKER));
      } catch (error) {
        assert.ok(
          error instanceof F2bError,
          `threw ${(error as Error)?.name}: ${(error as Error)?.message} for ${text.slice(0, 300)}`,
        );
        const shown = JSON.stringify([
          error.message,
          error.hint,
          (error as { problems?: string[] }).problems,
        ]);
        assert.ok(!shown.includes(MARKER), `the password shows in: ${shown.slice(0, 300)}`);
      }
      assert.ok(performance.now() - started < 1000);
    }),
    { numRuns: 2500 },
  );
});
