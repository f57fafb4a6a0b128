/**
 * The Debian mirror this machine's apt uses, read from its sources (deb822 `.sources` files in
 * /etc/apt/sources.list.d/, then one-line `.list` files and /etc/apt/sources.list), so that the
 * repository names no mirror host. CLEAN_SYSTEM_MIRROR overrides it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { join } from "node:path";

const SOURCES_DIR = "/etc/apt/sources.list.d";

/** The first URI that serves a plain Debian suite (not -security, -updates or -backports). */
export function debianMirror(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLEAN_SYSTEM_MIRROR) return env.CLEAN_SYSTEM_MIRROR;
  const files = existsSync(SOURCES_DIR)
    ? readdirSync(SOURCES_DIR)
        .filter((f) => f.endsWith(".sources") || f.endsWith(".list"))
        .sort()
        .map((f) => join(SOURCES_DIR, f))
    : [];
  if (existsSync("/etc/apt/sources.list")) files.push("/etc/apt/sources.list");
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const found = file.endsWith(".sources") ? fromDeb822(text) : fromOneLine(text);
    if (found !== undefined) return found.replace(/\/+$/, "");
  }
  throw new Error(
    `no Debian mirror found in ${SOURCES_DIR}/*.sources, *.list or /etc/apt/sources.list; set CLEAN_SYSTEM_MIRROR`,
  );
}

const plainSuite = (suite: string) => /^[a-z]+$/.test(suite);

function fromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) =>
      new RegExp(`^${name}:\\s*(.+)$`, "mi").exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
    if (!field("Types").includes("deb") || /^Enabled:\s*no/im.test(stanza)) continue;
    const uri = field("URIs").find((u) => /^https?:\/\//.test(u));
    if (uri !== undefined && field("Suites").some(plainSuite) && field("Components").includes("main"))
      return uri;
  }
  return undefined;
}

function fromOneLine(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const match = /^deb\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+)\s+(\S+)\s+(.*)$/.exec(line.trim());
    if (match?.[1] && plainSuite(match[2] ?? "") && (match[3] ?? "").split(/\s+/).includes("main"))
      return match[1];
  }
  return undefined;
}

/** Whether `mirror` serves `suite`: its Release file answers 200; otherwise why not, precisely. */
export function suiteReachable(mirror: string, suite: string): Promise<{ ok: boolean; detail: string }> {
  const url = `${mirror}/dists/${suite}/Release`;
  const get = url.startsWith("https:") ? httpsGet : httpGet;
  return new Promise((resolve) => {
    const request = get(url, { timeout: 20_000 }, (response) => {
      response.resume();
      const ok = response.statusCode === 200;
      resolve({ ok, detail: `GET ${url}: HTTP ${response.statusCode}` });
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 20 s")));
    request.on("error", (error) => resolve({ ok: false, detail: `GET ${url}: ${error.message}` }));
  });
}
