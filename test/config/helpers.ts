import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** A fresh temp directory, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "f2b-config-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `content` (an object is JSON-encoded) to `dir/name` with `mode`, returns the path. */
export function writeConfig(dir: string, content: unknown, name = "config.json", mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  chmodSync(path, mode);
  return path;
}

/** A password that must never show up in any message. */
export const MARKER = "S3cr3t-Marker-Pw";

/** The original program's six keys, exactly. */
export const ORIGINAL = {
  url: "https://192.168.1.1:4444",
  verifySslCertificate: false,
  user: "apiuser",
  pass: MARKER,
  iphost_prefix: "f2b_",
  iphostgroup_name: "fail2ban",
};
