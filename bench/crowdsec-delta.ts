/**
 * `node --import tsx bench/crowdsec-delta.ts [--decisions N] [--delta N] [--rounds N]`: the
 * bouncer's own cost on a CrowdSec delta, without CrowdSec's or the firewall's. A scripted LAPI
 * (the whole list at startup, then one delta per round when asked) and the emulator at zero
 * latency; the built CLI's `bouncer` holds N decisions (default 100,000), then takes deltas of
 * 100. Per round: from the moment the LAPI answered the delta until its addresses are in the
 * group (the source's work, the agent's quiet window, the delivery), with the source's and the
 * push's own times from the bouncer's log. `BENCH_BOUNCER_FLAGS=--cpu-prof` profiles it
 * (the profile lands in the temp directory, which is kept and printed).
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  GROUP_V4,
  runCli as runTestCli,
  startFirewall,
  tempDir,
  writeConfig,
} from "../test/support/harness.ts";
import { addressesFor, CLI, peakRssMb, sleep } from "./common.ts";

const { values } = parseArgs({
  options: {
    decisions: { type: "string", default: "100000" },
    delta: { type: "string", default: "100" },
    rounds: { type: "string", default: "5" },
  },
});
const decisions = Number(values.decisions);
const delta = Number(values.delta);
const rounds = Number(values.rounds);
const all = addressesFor(decisions + delta * rounds);

let nextId = 1;
const decision = (value: string) => ({
  id: nextId++,
  origin: "cscli-import",
  type: "ban",
  scope: "Ip",
  value,
  duration: "23h59m0s",
  scenario: "bench/blocklist",
  simulated: false,
  until: "",
});
let queued: string[] = [];
let answeredAt = 0;
const lapi = createServer((req, res) => {
  const startup = new URL(req.url!, "http://x").searchParams.get("startup") === "true";
  const sent = startup ? all.slice(0, decisions) : queued;
  if (!startup && queued.length > 0) answeredAt = performance.now();
  if (!startup) queued = [];
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ new: sent.map(decision), deleted: null }));
});
await new Promise<void>((resolve) => lapi.listen(0, "127.0.0.1", resolve));
const emu = await startFirewall({ latency: { readMs: 0, writeMs: 0, entityMs: 0, timeScale: 1 } });
const { dir, cleanup } = tempDir("f2b-bench-csd");
writeFileSync(join(dir, "bouncer.key"), "bench\n", { mode: 0o600 });
const config = writeConfig(dir, emu, {
  layout: "iplist",
  max_entities_per_request: 1000,
  request_timeout_ms: 600_000,
  crowdsec: {
    lapi_url: `http://127.0.0.1:${(lapi.address() as AddressInfo).port}`,
    api_key_file: join(dir, "bouncer.key"),
    poll_interval: "1s",
    max_decisions: all.length,
  },
});
const started = await runTestCli(["start", "--configfile", config]);
if (started.code !== 0) throw new Error(`start failed: ${started.stderr}`);

function blocked(wave: ReadonlySet<string>): number {
  let n = 0;
  for (const name of emu.store.groups.get(GROUP_V4)?.hosts ?? []) {
    const host = emu.store.hosts.get(name);
    if (host?.hostType === "IPList") for (const a of host.listOfIpAddresses ?? []) if (wave.has(a)) n++;
  }
  return n;
}

const flags = (process.env.BENCH_BOUNCER_FLAGS ?? "").split(" ").filter(Boolean);
if (flags.includes("--cpu-prof")) flags.push(`--cpu-prof-dir=${join(dir, "profile")}`);
const child = spawn(process.execPath, [...flags, CLI, "bouncer", "--configfile", config], {
  stdio: ["ignore", "ignore", "pipe"],
});
const lines: string[] = [];
child.stderr!.on("data", (c: Buffer) => lines.push(...c.toString().split("\n").filter(Boolean)));
const t0 = performance.now();
const first = new Set(all.slice(0, decisions));
while (blocked(first) < decisions) await sleep(20);
console.log(`${decisions} decisions held after ${Math.round(performance.now() - t0)} ms`);
const msOf = (pattern: RegExp) =>
  lines.flatMap((l) => {
    const m = pattern.exec(l);
    return m ? [Number(m[1] ?? 0)] : [];
  });
for (let r = 0; r < rounds; r++) {
  // Let the round before finish and the agent go idle.
  await sleep(3000);
  const wave = all.slice(decisions + r * delta, decisions + (r + 1) * delta);
  const asked = performance.now();
  queued = wave;
  const inGroup = new Set(wave);
  const pushesBefore = msOf(/push: /).length;
  while (answeredAt < asked) await sleep(1);
  while (blocked(inGroup) < delta) await sleep(1);
  const tInGroup = performance.now();
  // The round's line comes once its outcome is journaled, a little after the write.
  for (let i = 0; i < 500 && msOf(/push: /).length === pushesBefore; i++) await sleep(10);
  const source = msOf(/crowdsec: delta: .* in (\d+) ms/).at(-1);
  const push = msOf(/push: \+\d+ -\d+ in (\d+) ms/).at(-1);
  console.log(
    `delta ${r + 1}: answer → in the group ${Math.round(tInGroup - answeredAt)} ms ` +
      `(source ${source ?? "?"} ms, push round ${push ?? "?"} ms)`,
  );
}
await sleep(1000);
console.log(`bouncer peak RSS ${peakRssMb(child.pid!)} MB`);
child.kill("SIGTERM");
await new Promise((resolve) => child.once("close", resolve));
await emu.close();
lapi.close();
if (flags.includes("--cpu-prof")) console.log(`profile in ${join(dir, "profile")}`);
else cleanup();
process.exit(0);
