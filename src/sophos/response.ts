/**
 * Turns an HTTP answer into a SophosResponse, or throws. Request-level failures (HTTP status,
 * HTML pages, bad XML, top-level Status, failed login) throw here; per-entity statuses are left
 * to entity-results.ts. API failures arrive inside HTTP 200 (reference §1).
 */
import {
  attributeOf,
  isNode,
  listOf,
  parseXml,
  StatusText,
  textOf,
  type XmlNode,
  XmlSyntaxError,
  type XmlValue,
} from "../protocol/index.ts";
import {
  ApiDisabledError,
  AuthenticationError,
  CallerNotAllowedError,
  Hints,
  RequestInvalidError,
  ResponseFormatError,
  SophosApiError,
} from "./errors.ts";
import { meaningOf } from "./status-table.ts";
import type { SophosEntityResult, SophosResponse, SophosStatus, TransportResponse } from "./types.ts";

const NOT_ENTITIES = new Set(["Login", "Status"]);

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function looksLikeHtml(body: string): boolean {
  return /^\s*(<\?xml[^>]*\?>\s*)?<(!doctype\s+html|html[\s>])/i.test(body);
}

/** Checks the HTTP layer, parses the XML and throws request-level errors. `url` is the origin for messages. */
export function parseResponse(answer: TransportResponse, url: string): SophosResponse {
  const contentType = headerText(answer.headers["content-type"]);
  const base = { url, httpStatus: answer.status, contentType };
  if (answer.status !== 200) {
    throw new ResponseFormatError(`the firewall at ${url} answered HTTP ${answer.status} instead of 200`, {
      ...base,
      reason: "http-status",
      hint: "check that the URL points at the web admin console port (default 4444) and that nothing in between (proxy) answers instead",
    });
  }
  if (looksLikeHtml(answer.body) || (contentType !== undefined && /html/i.test(contentType))) {
    throw new ResponseFormatError(`the firewall at ${url} answered with an HTML page instead of API XML`, {
      ...base,
      reason: "html",
      hint: "check the URL (the client appends /webconsole/APIController) and that no captive portal or proxy answers",
    });
  }
  // Sophos answers text/xml; a missing type is tolerated, anything else (tar, JSON) is not an API answer.
  if (contentType !== undefined && !/^\s*(text|application)\/xml\b/i.test(contentType)) {
    throw new ResponseFormatError(
      `the firewall at ${url} answered with content type ${contentType}, not XML`,
      {
        ...base,
        reason: "content-type",
        hint: "check that the URL points at a Sophos Firewall web admin console",
      },
    );
  }
  const root = parseBody(answer.body, url, base);
  return readEnvelope(root, url);
}

function parseBody(body: string, url: string, base: object): XmlNode {
  try {
    // Size is already bounded by the transport; parseXml refuses DOCTYPE/ENTITY (no entity expansion).
    // Tolerant of one known sloppiness only: a repeated attribute (transactionid twice).
    return parseXml(body, Number.MAX_SAFE_INTEGER, { tolerateRepeatedAttributes: true });
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    const entities = /DOCTYPE|ENTITY/.test(error.message);
    throw new ResponseFormatError(
      `the answer from ${url} is not usable XML: ${entities ? "it declares a DOCTYPE or entities (refused)" : error.message}`,
      {
        ...base,
        reason: entities ? "entities" : "malformed",
        hint: entities
          ? "a real Sophos Firewall never sends a DOCTYPE; check what answers at this address"
          : "the answer was cut short or is not XML; retry, and check the network path to the firewall",
      },
    );
  }
}

export function statusesOf(value: XmlValue | undefined): SophosStatus[] {
  return listOf(value).map((status) => {
    const codeText = attributeOf(status, "code");
    const code =
      codeText !== undefined && /^\d+$/.test(codeText.trim()) ? Number(codeText.trim()) : undefined;
    const text = (textOf(status) ?? "").trim();
    return code === undefined ? { text } : { code, text };
  });
}

function readEnvelope(root: XmlNode, url: string): SophosResponse {
  const response = root.Response;
  if (!isNode(response)) {
    throw new ResponseFormatError(`the answer from ${url} has no <Response> element`, {
      url,
      reason: "shape",
      hint: "check that the URL points at a Sophos Firewall web admin console",
    });
  }
  const topStatus = statusesOf(response.Status)[0];
  if (topStatus !== undefined) throwTopLevel(topStatus, url);

  const login = response.Login;
  const loginStatus = isNode(login) ? textOf(login.status)?.trim() : undefined;
  if (loginStatus !== undefined && loginStatus !== StatusText.authSuccess) {
    // A failed login is HTTP 200 with only <Login><status>Authentication Failure</status>; nothing follows (JANWEIS).
    throw new AuthenticationError(`the firewall at ${url} refused the login: ${loginStatus}`, {
      url,
      entity: "Login",
      firewallText: loginStatus,
      hint: Hints.auth,
    });
  }

  const entities: SophosEntityResult[] = [];
  for (const [tag, value] of Object.entries(response)) {
    if (tag.startsWith("@") || tag === "#text" || NOT_ENTITIES.has(tag)) continue;
    for (const item of listOf(value)) {
      const node: XmlNode = isNode(item) ? item : {};
      entities.push({ entity: tag, statuses: statusesOf(node.Status), node });
    }
  }
  if (login === undefined && entities.length === 0) {
    throw new ResponseFormatError(`the answer from ${url} has neither a login result nor any entity`, {
      url,
      reason: "shape",
      hint: "check that the URL points at a Sophos Firewall web admin console",
    });
  }
  return { apiVersion: attributeOf(response, "APIVersion"), loginStatus, entities };
}

function throwTopLevel(status: SophosStatus, url: string): never {
  const options = { url, code: status.code, firewallText: status.text };
  const said = `${status.code ?? ""} ${status.text}`.trim();
  switch (meaningOf(status.code).kind) {
    case "request-invalid":
      throw new RequestInvalidError(`the firewall at ${url} could not read the request: ${said}`, {
        ...options,
        hint: Hints.requestInvalid,
      });
    case "api-disabled":
      throw new ApiDisabledError(`the API of the firewall at ${url} is disabled: ${said}`, {
        ...options,
        hint: Hints.apiDisabled,
      });
    case "caller-not-allowed":
      throw new CallerNotAllowedError(
        `the firewall at ${url} does not accept API calls from this host: ${said}`,
        {
          ...options,
          hint: Hints.callerNotAllowed,
        },
      );
    default:
      throw new SophosApiError(`the firewall at ${url} refused the request: ${said}`, options);
  }
}
