/** Access to the real firewall answers in test/fixtures/sophos-samples (see its INDEX.md) and xmltodict renderings. */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "sophos-samples");

export function sampleFiles(): string[] {
  return readdirSync(SAMPLES_DIR)
    .filter((f) => f !== "INDEX.md")
    .sort();
}

export function readSample(name: string): string {
  return readFileSync(join(SAMPLES_DIR, name), "utf8");
}

function esc(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Rebuilds XML from an xmltodict dict: `@x` keys are attributes, `#text` is text, null is an
 * empty element, arrays are repeated elements. Child order is the dict's (xmltodict keeps the
 * document order; the Ansible JSON renderings sorted keys, which our parser must not mind).
 */
export function xmltodictToXml(tag: string, value: unknown): string {
  if (value === null) return `<${tag}/>`;
  if (typeof value === "string") return `<${tag}>${esc(value)}</${tag}>`;
  if (Array.isArray(value)) return value.map((v) => xmltodictToXml(tag, v)).join("");
  const entries = Object.entries(value as Record<string, unknown>);
  const attrs = entries
    .filter(([k]) => k.startsWith("@"))
    .map(([k, v]) => ` ${k.slice(1)}="${esc(String(v))}"`)
    .join("");
  const inner = entries
    .filter(([k]) => !k.startsWith("@"))
    .map(([k, v]) => (k === "#text" ? esc(String(v)) : xmltodictToXml(k, v)))
    .join("");
  return `<${tag}${attrs}>${inner}</${tag}>`;
}

/** The first Python dict literal in `text` (single-quoted repr, no quotes inside values) as an object. */
export function pythonDict(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf("{")).replace(/'/g, '"')) as Record<string, unknown>;
}
