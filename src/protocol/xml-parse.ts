/**
 * The one place XML is turned into objects, for both the client (answers) and the emulator
 * (requests). Hostile input is refused up front: DOCTYPE (entity expansion), oversized
 * documents and malformed XML never reach the object mapping.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

export type XmlNode = { [key: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

export class XmlSyntaxError extends Error {
  override name = "XmlSyntaxError";
}

/** Elements that may repeat in requests or answers; always parsed as arrays so one and many look alike. */
const REPEATED = new Set([
  "IPHost",
  "IPHostGroup",
  "Status",
  "Name",
  "Host",
  "HostGroup",
  "Filter",
  "key",
  "Get",
  "Set",
  "Remove",
]);

/**
 * The settings every XML parser of ours uses: values stay text (no coercion of "0123" or
 * "true"), only the five XML entities are expanded (DOCTYPE is refused before parsing), no HTML
 * entities, declarations and processing instructions dropped.
 */
export const SAFE_PARSER_OPTIONS = {
  ignoreAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;

const parser = new XMLParser({
  ...SAFE_PARSER_OPTIONS,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  isArray: (tagName, _path, _isLeaf, isAttribute) => !isAttribute && REPEATED.has(tagName),
});

export interface ParseOptions {
  /**
   * Keep the first of a repeated attribute instead of refusing the document: some firmware
   * answers `<IPHost transactionid="" transactionid="">` (issue 15). Only for answers; the
   * document must be well-formed otherwise.
   */
  tolerateRepeatedAttributes?: boolean;
}

// A start tag with its attributes (quoted values cannot contain their own quote or `<`).
const START_TAG = /<([A-Za-z_][\w.:-]*)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)(\s*\/?)>/g;
const ATTRIBUTE = /\s+([^\s=/>]+)\s*=\s*("[^"<]*"|'[^'<]*')/g;

/** `text` with every later repetition of an attribute in the same start tag removed. */
export function dropRepeatedAttributes(text: string): string {
  return text.replace(START_TAG, (whole, tag: string, attrs: string, end: string) => {
    const seen = new Set<string>();
    let repeated = false;
    const kept = attrs.replace(ATTRIBUTE, (attr, name: string) => {
      if (!seen.has(name)) {
        seen.add(name);
        return attr;
      }
      repeated = true;
      return "";
    });
    return repeated ? `<${tag}${kept}${end}>` : whole;
  });
}

/**
 * Parses `text` into an object tree. Throws XmlSyntaxError for a DOCTYPE, for text over
 * `maxBytes`, or for anything that is not one well-formed XML document.
 */
export function parseXml(text: string, maxBytes = 16 * 1024 * 1024, options: ParseOptions = {}): XmlNode {
  if (Buffer.byteLength(text) > maxBytes)
    throw new XmlSyntaxError(`document is larger than ${maxBytes} bytes`);
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new XmlSyntaxError("document contains a DOCTYPE or ENTITY declaration, which is refused");
  }
  // Some firmware leaves NUL bytes around the document (one public client strips them too).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing NUL is the point
  let cleaned = text.replace(/\u0000/g, "").trim();
  if (options.tolerateRepeatedAttributes) cleaned = dropRepeatedAttributes(cleaned);
  if (cleaned === "") throw new XmlSyntaxError("document is empty");
  const valid = XMLValidator.validate(cleaned);
  if (valid !== true) {
    throw new XmlSyntaxError(`malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  }
  try {
    return parser.parse(cleaned) as XmlNode;
  } catch (error) {
    // The validator lets a few broken shapes through (unclosed PI, comment or CDATA) that the
    // parser then rejects with a plain Error: keep every failure typed.
    throw new XmlSyntaxError(`malformed XML: ${(error as Error).message}`);
  }
}

/** Text content of a node that may be a plain string or an element with attributes. */
export function textOf(value: XmlValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return textOf(value[0]);
  const text = value["#text"];
  return typeof text === "string" ? text : text === undefined ? "" : undefined;
}

/** The node as an array (absent → empty). */
export function listOf(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function isNode(value: XmlValue | undefined): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function attributeOf(value: XmlValue | undefined, name: string): string | undefined {
  if (!isNode(value)) return undefined;
  const attr = value[`@${name}`];
  return typeof attr === "string" ? attr : undefined;
}
