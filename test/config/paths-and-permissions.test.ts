import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CONFIG_CANDIDATES, loadConfig, resolveConfigPath } from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors/index.ts";
import { ORIGINAL, tempDir, writeConfig } from "./helpers.ts";

const dir = tempDir();

test("the default search order prefers /etc, then the original's paths", () => {
  assert.deepEqual(CONFIG_CANDIDATES, [
    "/etc/f2b-sophosxg/config.json",
    "/usr/local/etc/f2bsophosxg/config.json",
    "/usr/local/etc/f2b-sophosxg/config.json",
  ]);
  const etc = join(dir, "etc.json");
  const legacy = join(dir, "legacy.json");
  const legacy2 = join(dir, "legacy2.json");
  const candidates = [etc, legacy, legacy2];
  assert.equal(resolveConfigPath(undefined, { candidates, env: {} }), etc, "nothing exists: the default");
  writeConfig(dir, ORIGINAL, "legacy2.json");
  assert.equal(resolveConfigPath(undefined, { candidates, env: {} }), legacy2);
  writeConfig(dir, ORIGINAL, "legacy.json");
  assert.equal(
    resolveConfigPath(undefined, { candidates, env: {} }),
    legacy,
    "only the original's path exists",
  );
  writeConfig(dir, ORIGINAL, "etc.json");
  assert.equal(resolveConfigPath(undefined, { candidates, env: {} }), etc);
  mkdirSync(join(dir, "adir"));
  assert.equal(resolveConfigPath(undefined, { candidates: [join(dir, "adir"), legacy], env: {} }), legacy);
});

test("--configfile wins over the environment variable, which wins over the search", () => {
  const candidates = [join(dir, "etc.json")];
  const env = { F2B_SOPHOSXG_CONFIG: "/from/env.json" };
  assert.equal(resolveConfigPath("/explicit.json", { candidates, env }), "/explicit.json");
  assert.equal(resolveConfigPath(undefined, { candidates, env }), "/from/env.json");
  assert.equal(resolveConfigPath("", { candidates, env }), "/from/env.json");
  assert.equal(resolveConfigPath("rel.json", { candidates, env: {} }), join(process.cwd(), "rel.json"));
});

test("loadConfig uses the original's path when it is the only one", async () => {
  const sub = join(dir, "legacy-only");
  mkdirSync(sub);
  const legacy = writeConfig(sub, ORIGINAL, "config.json");
  const loaded = await loadConfig({ candidates: [join(sub, "missing.json"), legacy], env: {} });
  assert.equal(loaded.path, legacy);
  assert.equal(loaded.config.username, "apiuser");
});

test("a missing file names the path and the default", async () => {
  const missing = join(dir, "nope.json");
  await assert.rejects(loadConfig({ path: missing, env: {} }), (error: ConfigError) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /configuration file not found: .*nope\.json/);
    assert.match(
      error.problems[0] ?? "",
      /nope\.json: not found \(.*--configfile.*the default is \/etc\/f2b-sophosxg\/config\.json\)/,
    );
    return true;
  });
  const searched = [join(dir, "a.json"), join(dir, "b.json")];
  await assert.rejects(loadConfig({ candidates: searched, env: {} }), (error: ConfigError) => {
    assert.match(error.problems[0] ?? "", /a\.json: not found; also looked for .*b\.json/);
    return true;
  });
  await assert.rejects(loadConfig({ path: dir, env: {} }), /cannot use the configuration file/);
});

test("a config file readable by group or others is refused (exit 2), unless allow_world_readable", async () => {
  const path = writeConfig(dir, { ...ORIGINAL, verifySslCertificate: true }, "open.json", 0o644);
  await assert.rejects(loadConfig({ path, env: {} }), (error: ConfigError) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems, [
      `${path}: the configuration file (it holds credentials) is accessible by group or others (mode 0644): refused; run: chmod 600 ${path} (or set "allow_world_readable": true to accept it)`,
    ]);
    return true;
  });
  const group = writeConfig(dir, { ...ORIGINAL, verifySslCertificate: true }, "group.json", 0o640);
  await assert.rejects(loadConfig({ path: group, env: {} }), /1 problem/);
  const other = writeConfig(dir, { ...ORIGINAL, verifySslCertificate: true }, "other.json", 0o604);
  await assert.rejects(loadConfig({ path: other, env: {} }), /1 problem/);
  // Reported together with the other problems of the file, not instead of them.
  const both = writeConfig(dir, { ...ORIGINAL, verifySslCertificate: true, user: 7 }, "both.json", 0o644);
  await assert.rejects(loadConfig({ path: both, env: {} }), (error: ConfigError) => {
    assert.equal(error.problems.length, 2);
    return true;
  });
  const allowed = writeConfig(
    dir,
    { ...ORIGINAL, verifySslCertificate: true, allow_world_readable: true },
    "ok.json",
    0o644,
  );
  const quiet = await loadConfig({ path: allowed, env: {} });
  assert.deepEqual(quiet.warnings, []);
  assert.equal(quiet.config.allowWorldReadable, true);
});
