/** The marker password in every form it could leak in, and the check used by the security tests. */
import assert from "node:assert/strict";
import { TEST_PASSWORD } from "../support/harness.ts";

const xmlEscaped = TEST_PASSWORD.replace(/&/g, "&amp;")
  .replace(/</g, "&lt;")
  .replace(/>/g, "&gt;")
  .replace(/"/g, "&quot;")
  .replace(/'/g, "&apos;");
export const FORMS = [
  TEST_PASSWORD,
  xmlEscaped,
  TEST_PASSWORD.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"),
  encodeURIComponent(TEST_PASSWORD),
  encodeURI(TEST_PASSWORD),
  new URLSearchParams({ x: TEST_PASSWORD }).toString().slice(2),
  JSON.stringify(TEST_PASSWORD).slice(1, -1),
  Buffer.from(TEST_PASSWORD).toString("base64"),
  // Distinctive pieces: a truncated or partly escaped copy is a leak too.
  "Mk9<",
  "Mk9&lt;",
  "Mk9%3C",
  "pw'$(id)zQ",
  "pw&apos;$(id)zQ",
  "$(id)zQ",
  "%24(id)zQ",
];

export function assertNoSecret(label: string, text: string): void {
  for (const form of FORMS) {
    assert.ok(!text.includes(form), `${label}: output contains the password (form ${JSON.stringify(form)})`);
  }
}
