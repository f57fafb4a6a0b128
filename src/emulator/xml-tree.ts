/**
 * Requests as an ordered element tree. The shared parser (protocol/xml-parse.ts) refuses
 * DOCTYPEs and malformed input but groups repeated children by name, which loses the
 * document order of mixed entity elements; the emulator needs that order (§2: processed in
 * document order), so it parses a second time with order preserved.
 */
import { XMLParser } from "fast-xml-parser";
import { parseXml, SAFE_PARSER_OPTIONS } from "../protocol/index.ts";

export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text content (trimmed). */
  text: string;
}

const orderedParser = new XMLParser({
  ...SAFE_PARSER_OPTIONS,
  preserveOrder: true,
  attributeNamePrefix: "",
});

type OrderedNode = Record<string, unknown>;

/** Parses a request document; throws (XmlSyntaxError) for anything the firewall would call invalid. */
export function parseRequestTree(text: string, maxBytes: number): XmlElement {
  parseXml(text, maxBytes);
  const nodes = orderedParser.parse(text.split("\u0000").join("").trim()) as OrderedNode[];
  const roots = nodes.map(toElement).filter((e): e is XmlElement => e !== undefined);
  if (roots.length !== 1 || roots[0] === undefined) throw new Error("expected exactly one root element");
  return roots[0];
}

function toElement(node: OrderedNode): XmlElement | undefined {
  const tag = Object.keys(node).find((k) => k !== ":@" && k !== "#text" && !k.startsWith("?"));
  if (tag === undefined || tag.startsWith("#")) return undefined;
  const attrsRaw = (node[":@"] ?? {}) as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrsRaw)) attrs[k] = String(v);
  const childNodes = (node[tag] ?? []) as OrderedNode[];
  const children: XmlElement[] = [];
  let text = "";
  for (const child of childNodes) {
    if ("#text" in child) text += String(child["#text"]);
    else {
      const el = toElement(child);
      if (el !== undefined) children.push(el);
    }
  }
  return { tag, attrs, children, text: text.trim() };
}

export function child(el: XmlElement, tag: string): XmlElement | undefined {
  return el.children.find((c) => c.tag === tag);
}

export function childrenNamed(el: XmlElement, tag: string): XmlElement[] {
  return el.children.filter((c) => c.tag === tag);
}

export function childText(el: XmlElement, tag: string): string | undefined {
  return child(el, tag)?.text;
}
