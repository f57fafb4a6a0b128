/** Control characters including tab, CR and LF (which XML would allow but no address or name should hold). */
export function hasAnyControlCharacter(text: string): boolean {
  return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}
