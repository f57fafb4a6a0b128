/**
 * Escaping of text values placed into request or response XML.
 * Every value that reaches XML goes through here: an unescaped `<` or `&` in a password
 * makes the real firewall answer 529 (sophos-firewall-sdk issue #101), and worse, lets a
 * crafted value inject elements.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

// XML 1.0 cannot carry most C0 controls at all, and no legitimate name, address or password has them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export class ControlCharacterError extends Error {
  override name = "ControlCharacterError";
  constructor(readonly field: string) {
    super(`${field} contains a control character; remove it (nothing was sent)`);
  }
}

/** Escapes `value` for use as XML text or attribute content; `field` names it in the error. */
export function escapeXmlText(value: string, field: string): string {
  if (CONTROL_CHARACTERS.test(value)) throw new ControlCharacterError(field);
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}
