/** The agent with its metrics endpoint on a free loopback port, and the checks the metrics tests share. */
import assert from "node:assert/strict";
import { type AgentProcess, startAgent } from "../agent/helpers.ts";
import { TEST_PASSWORD } from "../support/harness.ts";

export async function startMetricsAgent(
  config: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ agent: AgentProcess; url: string; hostPort: string }> {
  const agent = startAgent(config, env);
  const line = await agent.waitForLine(/^metrics: serving /);
  const url = /serving (http:\/\/\S+)\/metrics/.exec(line)![1]!;
  await agent.waitForLine(/^reconcile: /);
  return { agent, url, hostPort: url.replace(/^http:\/\//, "") };
}

/** One series' value from Prometheus text: `name{a="b",…}` with exactly these labels summed over the rest. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      sum += Number(match[3]);
      found = true;
    }
  }
  assert.ok(found, `no series ${name}${JSON.stringify(labels)} in:\n${text.slice(0, 3000)}`);
  return sum;
}

/** Every form in which the test password could travel (as typed, XML-escaped, URL-encoded). */
export function passwordForms(): string[] {
  const xml = TEST_PASSWORD.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return [
    TEST_PASSWORD,
    xml,
    xml.replace(/"/g, "&quot;").replace(/'/g, "&apos;"),
    encodeURIComponent(TEST_PASSWORD),
  ];
}

export function assertNoSecret(text: string, what: string, extra: string[] = []): void {
  for (const secret of [...passwordForms(), ...extra]) {
    assert.ok(!text.includes(secret), `${what} contains a secret`);
  }
}

export async function metricsText(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}
