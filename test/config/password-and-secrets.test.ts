import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors/index.ts";
import { MARKER, ORIGINAL, tempDir, writeConfig } from "./helpers.ts";

const dir = tempDir();
const base = { url: "https://fw.example:4444", user: "apiuser" };

async function failure(content: unknown, env: NodeJS.ProcessEnv = {}, name = "c.json"): Promise<ConfigError> {
  const path = writeConfig(dir, content, name);
  try {
    await loadConfig({ path, env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail("expected a ConfigError");
}

/** Everything a caller could print about the error. */
const everything = (error: ConfigError) =>
  [error.message, error.hint ?? "", ...error.problems, error.toLine(), String(error.stack)].join("\n");

test("password from a file: trailing newline stripped, relative to the config file", async () => {
  writeConfig(dir, `${MARKER}\n`, "pw.txt");
  const { config, warnings } = await loadConfig({
    path: writeConfig(dir, { ...base, pass_file: "pw.txt" }),
    env: {},
  });
  assert.equal(config.password, MARKER);
  assert.equal(config.passwordSource, "pass_file");
  assert.deepEqual(warnings, []);
  writeConfig(dir, `${MARKER}\r\n`, "pw-crlf.txt");
  const crlf = await loadConfig({
    path: writeConfig(dir, { ...base, pass_file: `${dir}/pw-crlf.txt` }),
    env: {},
  });
  assert.equal(crlf.config.password, MARKER);
});

test("password file problems", async () => {
  const missing = await failure({ ...base, pass_file: "absent.txt" });
  assert.match(missing.problems.join(), /key "pass_file": .*absent\.txt does not exist/);
  writeConfig(dir, "\n", "empty.txt");
  assert.match((await failure({ ...base, pass_file: "empty.txt" })).problems.join(), /the password is empty/);
  writeConfig(dir, `${MARKER}\nsecond line\n`, "two.txt");
  const two = await failure({ ...base, pass_file: "two.txt" });
  assert.match(two.problems.join(), /line break or control character/);
  assert.ok(!everything(two).includes(MARKER));
  assert.ok(!everything(two).includes("second line"));
});

test("a password file readable by others is refused, unless allow_world_readable", async () => {
  writeConfig(dir, MARKER, "open.txt", 0o644);
  await assert.rejects(
    loadConfig({ path: writeConfig(dir, { ...base, pass_file: "open.txt" }), env: {} }),
    (error: ConfigError) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 1);
      assert.match(
        error.problems[0] ?? "",
        /key "pass_file": .*open\.txt: the password file is accessible by group or others \(mode 0644\): refused; run: chmod 600/,
      );
      assert.ok(!JSON.stringify([error.message, error.problems, error.hint]).includes(MARKER));
      return true;
    },
  );
  const allowed = await loadConfig({
    path: writeConfig(dir, { ...base, pass_file: "open.txt", allow_world_readable: true }, "allowed.json"),
    env: {},
  });
  assert.equal(allowed.config.password, MARKER);
  assert.deepEqual(allowed.warnings, []);
});

test("password from an environment variable", async () => {
  const path = writeConfig(dir, { ...base, pass_env: "F2B_TEST_PW" });
  const { config } = await loadConfig({ path, env: { F2B_TEST_PW: MARKER } });
  assert.equal(config.password, MARKER);
  assert.equal(config.passwordSource, "pass_env");
  const unset = await failure({ ...base, pass_env: "F2B_TEST_PW" }, {});
  assert.match(unset.problems.join(), /key "pass_env": environment variable F2B_TEST_PW is not set/);
  const empty = await failure({ ...base, pass_env: "F2B_TEST_PW" }, { F2B_TEST_PW: "" });
  assert.match(empty.problems.join(), /the password is empty/);
});

test("exactly one password source", async () => {
  assert.match(
    (await failure(base)).problems.join(),
    /no password: set one of "pass", "pass_file" or "pass_env"/,
  );
  const two = await failure({ ...base, pass: MARKER, pass_env: "X" }, { X: "other-pw" });
  assert.match(two.problems.join(), /keys "pass" and "pass_env" each give the password: keep exactly one/);
  assert.ok(!everything(two).includes(MARKER));
  assert.match((await failure({ ...base, pass: "" })).problems.join(), /key "pass": the password is empty/);
});

test("the password never appears in a message", async () => {
  const marker = "Marker-In-Json-7f3a";
  const cases: unknown[] = [
    `{"url": "https://fw:4444", "user": "u", "pass": "${marker}",}`,
    `{"url": "https://fw:4444", "user": "u", "pass": ${marker}}`,
    `{"url": "https://fw:4444", "user": "u", "pass": '${marker}'}`,
    `{"url": "https://fw:4444", "user": "u", "pass": "${marker}`,
    `{"url": "https://fw:4444", "user": "u", "pass": "${marker}\n"}`,
    `{"url": "https://fw:4444", "user": "u", "${marker}": "x"}`.replace(marker, "pass"),
    { ...ORIGINAL, pass: marker, url: "http://fw", bogus: marker },
    { ...ORIGINAL, pass: [marker] },
    { ...ORIGINAL, pass: { value: marker } },
    { ...ORIGINAL, pass: `${marker}\u0000` },
    { ...ORIGINAL, pass: marker, user: marker, iphost_prefix: marker, iphostgroup_name: `${marker},` },
  ];
  for (const content of cases) {
    let error: ConfigError | undefined;
    try {
      await loadConfig({ path: writeConfig(dir, content, "secret.json"), env: {} });
    } catch (caught) {
      error = caught as ConfigError;
    }
    if (error === undefined) continue;
    assert.ok(error instanceof ConfigError);
    assert.ok(!everything(error).includes(marker), `${JSON.stringify(content)} → ${everything(error)}`);
  }
});

test("invalid JSON is located by line and column without quoting the file", async () => {
  const text = `{\n  "url": "https://fw:4444",\n  "pass": "${MARKER}",\n}\n`;
  const error = await failure(text);
  assert.equal(error.problems.length, 1);
  assert.match(error.problems[0] ?? "", /is not valid JSON at line 4, column 1: trailing comma before \}/);
  const unquoted = await failure(`{"pass": ${MARKER}}`);
  assert.match(
    unquoted.problems[0] ?? "",
    /line 1, column 10: unexpected character where a value was expected/,
  );
  assert.ok(!everything(unquoted).includes(MARKER));
  const single = await failure(`{'pass': 1}`);
  assert.match(single.problems[0] ?? "", /line 1, column 2: expected a key in double quotes/);
  const open = await failure(`{"pass": "abc`);
  assert.match(open.problems[0] ?? "", /a string is not closed/);
  const bom = await loadConfig({
    path: writeConfig(dir, `\uFEFF${JSON.stringify({ ...base, pass: "pw-12345" })}`),
    env: {},
  });
  assert.equal(bom.config.username, "apiuser");
});
