import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadConfig } from "../../src/config/index.ts";
import { ConfigError, redactSecrets } from "../../src/errors/base.ts";
import { ORIGINAL, tempDir, writeConfig } from "./helpers.ts";

const REDIS_MARKER = "Redis-Marker-Pw-77";

async function problemsOf(path: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig({ path, env });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("the config loaded");
}

test("a fleet section resolves the ACL user from the URL and the password from a 0600 file", async () => {
  const dir = tempDir();
  const passFile = writeConfig(dir, `${REDIS_MARKER}\n`, "redis.pass");
  const path = writeConfig(dir, {
    ...ORIGINAL,
    fleet: {
      redis_url: "rediss://fleetuser@redis.example:6380/2",
      redis_pass_file: passFile,
      name: "web",
      member: "web1",
    },
  });
  const { config } = await loadConfig({ path, env: {} });
  assert.equal(config.fleet?.redisUser, "fleetuser");
  assert.equal(config.fleet?.redisPassword, REDIS_MARKER);
  assert.equal(config.fleet?.redisUrl, "rediss://redis.example:6380/2");
  assert.equal(config.fleet?.leaseMs, 15_000);
  assert.equal(redactSecrets(`x ${REDIS_MARKER} y`).includes(REDIS_MARKER), false);
});

test("a password in the URL is refused and never shown; the password can come from the environment", async () => {
  const dir = tempDir();
  const inUrl = writeConfig(dir, {
    ...ORIGINAL,
    fleet: { redis_url: `redis://u:${REDIS_MARKER}@127.0.0.1:6379`, name: "web" },
  });
  const problems = await problemsOf(inUrl);
  assert.match(problems.join("\n"), /fleet\.redis_url.*holds a password/);
  assert.ok(!problems.join("\n").includes(REDIS_MARKER));
  const fromEnv = writeConfig(
    dir,
    { ...ORIGINAL, fleet: { redis_url: "redis://127.0.0.1:6379", redis_pass_env: "F2B_REDIS", name: "web" } },
    "env.json",
  );
  const { config } = await loadConfig({ path: fromEnv, env: { F2B_REDIS: REDIS_MARKER } });
  assert.equal(config.fleet?.redisPassword, REDIS_MARKER);
  assert.match((await problemsOf(fromEnv)).join("\n"), /F2B_REDIS is not set/);
});

test("a readable Redis password file, a bad scheme and an unknown fleet key are refused, each named", async () => {
  const dir = tempDir();
  const passFile = writeConfig(dir, REDIS_MARKER, "redis.pass", 0o644);
  const path = writeConfig(dir, {
    ...ORIGINAL,
    fleet: { redis_url: "http://127.0.0.1:6379", redis_pass_file: join(dir, "redis.pass"), name: "web" },
  });
  const problems = (await problemsOf(path)).join("\n");
  assert.match(problems, /fleet\.redis_url.*redis:\/\/ or rediss:\/\//);
  assert.match(problems, /fleet\.redis_pass_file.*chmod 600/);
  assert.ok(passFile);
  const unknown = writeConfig(
    dir,
    { ...ORIGINAL, fleet: { redis_url: "redis://h", name: "web", lease: 5 } },
    "u.json",
  );
  assert.match((await problemsOf(unknown)).join("\n"), /fleet/);
  const badName = writeConfig(dir, { ...ORIGINAL, fleet: { redis_url: "redis://h", name: "a b" } }, "n.json");
  assert.match((await problemsOf(badName)).join("\n"), /fleet\.name/);
});

test("a fleet with a firewalls list is refused: its pusher would write only the first", async () => {
  const dir = tempDir();
  const passFile = writeConfig(dir, `${REDIS_MARKER}\n`, "redis.pass");
  const { url: _url, ...withoutUrl } = ORIGINAL as Record<string, unknown>;
  const path = writeConfig(dir, {
    ...withoutUrl,
    firewalls: [
      { name: "a", url: "https://fw-a.example:4444" },
      { name: "b", url: "https://fw-b.example:4444" },
    ],
    fleet: {
      redis_url: "redis://fleet@127.0.0.1:6379",
      redis_pass_file: passFile,
      name: "web",
      member: "web1",
    },
  });
  const problems = await problemsOf(path);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0]!, /keys "fleet" and "firewalls" together: a fleet writes one firewall/);
});
