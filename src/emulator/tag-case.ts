/**
 * Tag case (reference §10.13): one real client sent lower-case tags to SFOS 17 and was answered;
 * nothing is known for 19+. With `tagCase: "insensitive"` every element name the emulator knows
 * is mapped to its canonical spelling before dispatch; other names stay as sent.
 */
import { KNOWN_UNMODELLED_TYPES } from "./options.ts";
import type { XmlElement } from "./xml-tree.ts";

const KNOWN_TAGS = [
  "Request",
  "Login",
  "Username",
  "Password",
  "Get",
  "Set",
  "Remove",
  "IPHost",
  "IPHostGroup",
  "Name",
  "IPFamily",
  "HostType",
  "IPAddress",
  "Subnet",
  "StartIPAddress",
  "EndIPAddress",
  "ListOfIPAddresses",
  "HostGroupList",
  "HostGroup",
  "HostList",
  "Host",
  "Description",
  "Filter",
  "key",
  ...KNOWN_UNMODELLED_TYPES,
];

const CANONICAL = new Map(KNOWN_TAGS.map((tag) => [tag.toLowerCase(), tag]));

/** A copy of `el` with every known element name in its canonical case. */
export function canonicalTags(el: XmlElement): XmlElement {
  return {
    ...el,
    tag: CANONICAL.get(el.tag.toLowerCase()) ?? el.tag,
    children: el.children.map(canonicalTags),
  };
}
