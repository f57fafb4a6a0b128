/**
 * The transport behind `--dry-run`: prints every request it is given (password masked) and
 * answers as an empty, obliging firewall would (Gets find nothing, writes succeed), so the real
 * code paths run and show exactly what they would send, and nothing leaves the machine.
 */
import { isNode, listOf, parseXml, type XmlNode } from "../../protocol/index.ts";
import type { Transport, TransportResponse } from "../../sophos/index.ts";

const OK = '<Status code="200">Configuration applied successfully.</Status>';

export function maskPassword(requestXml: string): string {
  return requestXml.replace(/<Password([^>]*)>[\s\S]*?<\/Password>/g, "<Password$1>***</Password>");
}

function entityAnswers(block: XmlNode, kind: string): string {
  let out = "";
  for (const [entity, value] of Object.entries(block)) {
    if (entity.startsWith("@")) continue;
    for (const element of listOf(value)) {
      if (kind === "Get") {
        out += `<${entity} transactionid=""><Status>No. of records Zero.</Status></${entity}>`;
      } else if (kind === "Remove" && isNode(element)) {
        out += `<${entity} transactionid="">${listOf(element.Name)
          .map(() => OK)
          .join("")}</${entity}>`;
      } else {
        out += `<${entity} transactionid="">${OK}</${entity}>`;
      }
    }
  }
  return out;
}

export class DryRunTransport implements Transport {
  constructor(private readonly print: (text: string) => void) {}

  async post(requestXml: string): Promise<TransportResponse> {
    this.print(maskPassword(requestXml));
    const request = parseXml(requestXml).Request;
    let body = "<Login><status>Authentication Successful</status></Login>";
    if (isNode(request)) {
      for (const kind of ["Get", "Set", "Remove"]) {
        for (const block of listOf(request[kind])) if (isNode(block)) body += entityAnswers(block, kind);
      }
    }
    return {
      status: 200,
      headers: { "content-type": "text/xml" },
      body: `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`,
    };
  }
}
