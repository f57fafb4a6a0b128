/**
 * Where a JSON text goes wrong, described without quoting it: V8's messages can include a
 * snippet of the input, and the input may hold the password. A small scanner finds the offset.
 */

export interface JsonErrorLocation {
  line: number;
  column: number;
  reason: string;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The first syntax error in `text`, or undefined if the scanner finds none. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  try {
    let i = value(text, skip(text, 0));
    i = skip(text, i);
    if (i < text.length) throw new Stop(i, "unexpected text after the end of the JSON value");
    return undefined;
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { ...lineColumn(text, error.offset), reason: error.reason };
  }
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

function skip(text: string, from: number): number {
  let i = from;
  while (i < text.length && " \t\n\r".includes(text[i] ?? "")) i++;
  return i;
}

function value(text: string, i: number): number {
  const ch = text[i];
  if (ch === undefined) throw new Stop(i, "the file ends where a value was expected");
  if (ch === "{") return object(text, i);
  if (ch === "[") return array(text, i);
  if (ch === '"') return string(text, i);
  for (const word of ["true", "false", "null"]) if (text.startsWith(word, i)) return i + word.length;
  const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
  if (number) return i + number[0].length;
  if (ch === "'") throw new Stop(i, "strings must use double quotes");
  throw new Stop(i, "unexpected character where a value was expected (unquoted text?)");
}

function object(text: string, start: number): number {
  let i = skip(text, start + 1);
  if (text[i] === "}") return i + 1;
  for (;;) {
    if (text[i] === "}") throw new Stop(i, "trailing comma before }");
    if (text[i] !== '"') throw new Stop(i, "expected a key in double quotes");
    i = skip(text, string(text, i));
    if (text[i] !== ":") throw new Stop(i, 'expected ":" after the key');
    i = skip(text, value(text, skip(text, i + 1)));
    if (text[i] === "}") return i + 1;
    if (text[i] !== ",")
      throw new Stop(i, text[i] === undefined ? "the file ends inside an object" : 'expected "," or "}"');
    i = skip(text, i + 1);
  }
}

function array(text: string, start: number): number {
  let i = skip(text, start + 1);
  if (text[i] === "]") return i + 1;
  for (;;) {
    if (text[i] === "]") throw new Stop(i, "trailing comma before ]");
    i = skip(text, value(text, i));
    if (text[i] === "]") return i + 1;
    if (text[i] !== ",")
      throw new Stop(i, text[i] === undefined ? "the file ends inside a list" : 'expected "," or "]"');
    i = skip(text, i + 1);
  }
}

function string(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (text[i] === '"') return i + 1;
    if (code < 0x20) throw new Stop(i, "a line break or control character inside a string");
    if (text[i] === "\\") {
      const next = text[i + 1] ?? "";
      if (next === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
          throw new Stop(i, "bad \\u escape in a string");
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(next) || next === "") throw new Stop(i, "bad escape (\\) in a string");
      i += 2;
      continue;
    }
    i++;
  }
  throw new Stop(start, "a string is not closed");
}
