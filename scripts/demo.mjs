#!/usr/bin/env node
// The quick start's main job, on the embedded emulator: start an emulated Sophos Firewall,
// then run the commands Fail2ban runs (start, ban IPv4, IPv6 and a CIDR, unban, flush) with
// the real CLI and show the firewall's groups after each step. Everything lives in a temp
// directory and is removed at the end; nothing outside this machine is contacted.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "dist", "f2b-sophosxg.mjs");
if (spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit" }).status !== 0) {
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "f2b-sophosxg-demo-"));
const password = randomBytes(12).toString("base64url");
writeFileSync(join(dir, "password"), `${password}\n`, { mode: 0o600 });

const emulator = spawn(
  process.execPath,
  [
    cli,
    "emulator",
    "--port",
    "0",
    "--user",
    "api",
    "--password-file",
    join(dir, "password"),
    "--seed-foreign",
    "3",
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const ready = await new Promise((resolve, reject) => {
  let text = "";
  emulator.stdout.on("data", (chunk) => {
    text += chunk;
    const line = text.split("\n").find((l) => l.includes(" ready "));
    if (line) resolve(line);
  });
  emulator.on("exit", (code) => reject(new Error(`the emulator exited (${code})`)));
});
const field = (name) => ready.match(new RegExp(`${name}=(\\S+)`))?.[1];
const url = field("url");
const sha256 = field("sha256");
const secret = field("control-secret");
console.log(`emulated Sophos Firewall at ${url} (certificate pinned: sha256 ${sha256.slice(0, 16)}…)\n`);

const config = join(dir, "config.json");
writeFileSync(
  config,
  JSON.stringify(
    {
      url,
      user: "api",
      pass_file: join(dir, "password"),
      tls_pin_sha256: sha256,
      state_dir: join(dir, "state"),
    },
    null,
    2,
  ),
  { mode: 0o600 },
);

function run(...args) {
  console.log(`$ f2b-sophosxg ${args.join(" ")}`);
  const result = spawnSync(process.execPath, [cli, ...args, "--configfile", config], { encoding: "utf8" });
  for (const text of [result.stdout, result.stderr]) {
    if (text.trim() !== "") console.log(text.trimEnd().replace(/^/gm, "  "));
  }
  if (result.status !== 0) console.log(`  (exit code ${result.status})`);
}

function showGroups() {
  return new Promise((resolve, reject) => {
    get(
      `${url}/_emulator/state`,
      { headers: { authorization: `Bearer ${secret}` }, rejectUnauthorized: false },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => {
          const state = JSON.parse(body);
          for (const group of state.objects.groups) {
            console.log(
              `  firewall group ${group.name} (${group.ipFamily}): ${group.hosts.join(", ") || "(empty)"}`,
            );
          }
          console.log();
          resolve();
        });
      },
    ).on("error", reject);
  });
}

try {
  run("start");
  await showGroups();
  run("ban", "--ip", "192.0.2.10", "--jail", "sshd", "--bantime", "3600");
  run("ban", "--ip", "2001:db8::10", "--jail", "sshd", "--bantime", "3600");
  run("ban", "--ip", "198.51.100.0/24", "--jail", "recidive", "--bantime", "-1");
  await showGroups();
  run("unban", "--ip", "192.0.2.10", "--jail", "sshd");
  await showGroups();
  run("status");
  run("flush", "--jail", "sshd", "--family", "inet6");
  run("flush");
  await showGroups();
  console.log(`Look at the emulator's page while it runs: ${url}/_emulator/`);
} finally {
  emulator.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
