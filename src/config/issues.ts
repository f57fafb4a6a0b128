/**
 * Checks each key of the file on its own (valibot), so that every problem is reported at once
 * and the valid keys can still be cross-checked. Messages never include a value.
 */
import * as v from "valibot";
import type { KeyCheck } from "./key-check.ts";
import { CONFIG_KEYS, type ConfigFileData, type ConfigKey, keySchemas } from "./schema.ts";

export type { KeyCheck } from "./key-check.ts";

export function checkKeys(file: string, data: Record<string, unknown>): KeyCheck {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of Object.keys(data)) {
    if (!(CONFIG_KEYS as string[]).includes(key)) problems.push(unknownKey(file, key));
  }
  for (const key of CONFIG_KEYS) {
    if (!Object.hasOwn(data, key)) continue;
    const result = v.safeParse(keySchemas[key], data[key]);
    if (result.success) values[key] = result.output;
    else {
      const issue = result.issues[0];
      const nested = (issue?.path?.length ?? 0) > 0;
      const text = !nested
        ? describe(issue, data[key])
        : issue?.expected === "never"
          ? "is not a key of this section (see docs/configuration.md)"
          : issue?.input === undefined
            ? "is missing"
            : describe(issue, issue?.input);
      problems.push(`${file}: key "${keyPath(key, issue)}": ${text}`);
    }
  }
  return { values: values as ConfigFileData, problems };
}

/** `crowdsec.poll_interval` for a problem inside a section; the key alone otherwise. */
function keyPath(key: string, issue: v.BaseIssue<unknown> | undefined): string {
  const inner = (issue?.path ?? []).map((item) => String(item.key)).filter((k) => k !== "");
  return [key, ...inner].join(".");
}

function describe(issue: v.BaseIssue<unknown> | undefined, input: unknown): string {
  const message = issue?.message ?? "is not valid";
  // A type mismatch: say what was found (its type, never its value).
  return issue?.kind === "schema" && typeof input !== "string"
    ? `${message} (found ${typeName(input)})`
    : message;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "true/false";
  return typeof value === "string" ? "a string" : typeof value;
}

function unknownKey(file: string, key: string): string {
  const shown = JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
  const near = closest(key);
  const suggestion =
    near === undefined ? "remove it; see docs/configuration.md for the keys" : `did you mean "${near}"?`;
  return `${file}: unknown key ${shown} (${suggestion})`;
}

/** The known key nearest to `key` (case, `-`/`_` and a few typos forgiven), if near enough. */
function closest(key: string): ConfigKey | undefined {
  const simple = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  let best: { key: ConfigKey; distance: number } | undefined;
  for (const known of CONFIG_KEYS) {
    const distance = simple(known) === simple(key) ? 0 : editDistance(simple(known), simple(key));
    if (best === undefined || distance < best.distance) best = { key: known, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 4))
    ? best.key
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
