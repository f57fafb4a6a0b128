/** Low-level requests to a running emulator over real HTTPS (transport-level tests and raw XML). */
import { request as httpRequest } from "node:http";
import { type Agent, request as httpsRequest } from "node:https";
import { type EmulatorOptions, type RunningEmulator, startEmulator } from "../../src/emulator/index.ts";
import { listOf, parseXml, type XmlNode } from "../../src/protocol/index.ts";

export const USER = "apiuser";
export const PASSWORD = "s3cr<et>&\"pw'";

export type Via = "urlencoded" | "query" | "multipart" | "get";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, username: USER, password: PASSWORD, ...options });
}

export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Wraps operations in a Request with a Login block. */
export function requestXml(operations: string, user = USER, password = PASSWORD): string {
  return `<Request><Login><Username>${xmlEscape(user)}</Username><Password>${xmlEscape(password)}</Password></Login>${operations}</Request>`;
}

export interface SendOptions {
  via?: Via;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent?: Agent;
}

/** Sends one HTTP request to the emulator (trusting its certificate). */
export function send(emu: RunningEmulator, options: SendOptions): Promise<RawResponse> {
  const url = new URL(options.path ?? "/webconsole/APIController", emu.url);
  const isHttps = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const req = (isHttps ? httpsRequest : httpRequest)(
      url,
      {
        method: options.method ?? "POST",
        headers: options.headers,
        ...(isHttps ? { ca: emu.certPem, agent: options.agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

/** Sends `reqxml` the way a given client would. */
export function postReqxml(emu: RunningEmulator, xml: string, via: Via = "urlencoded"): Promise<RawResponse> {
  const path = "/webconsole/APIController";
  switch (via) {
    case "urlencoded":
      return send(emu, {
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: `reqxml=${encodeURIComponent(xml)}`,
      });
    case "query":
      return send(emu, { path: `${path}?reqxml=${encodeURIComponent(xml)}` });
    case "get":
      return send(emu, { method: "GET", path: `${path}?reqxml=${encodeURIComponent(xml)}` });
    case "multipart": {
      const boundary = "----f2bTestBoundary7MA4YWxkTrZu0gW";
      const body = `--${boundary}\r\nContent-Disposition: form-data; name="reqxml"\r\n\r\n${xml}\r\n--${boundary}--\r\n`;
      return send(emu, { headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` }, body });
    }
  }
}

/** Logs in with the test credentials, runs `operations`, parses the answer. */
export async function api(
  emu: RunningEmulator,
  operations: string,
  via: Via = "urlencoded",
): Promise<XmlNode> {
  const res = await postReqxml(emu, requestXml(operations), via);
  return parseXml(res.body);
}

export async function control(
  emu: RunningEmulator,
  method: string,
  route: string,
  body?: unknown,
  secret = emu.controlSecret,
): Promise<{ status: number; json: unknown }> {
  const res = await send(emu, {
    method,
    path: `/_emulator${route}`,
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: res.body.startsWith("{") ? JSON.parse(res.body) : res.body };
}

/** The `<Status>` entries (code + text) under each `tag` element of a parsed answer, in order. */
export function statusesOf(doc: XmlNode, tag: string): Array<{ code: string | undefined; text: string }> {
  const response = doc.Response as XmlNode;
  const elements = listOf(response[tag]) as XmlNode[];
  return elements.flatMap((el) =>
    ((el.Status ?? []) as XmlNode[]).map((s) =>
      typeof s === "string"
        ? { code: undefined, text: s }
        : { code: s["@code"] as string | undefined, text: (s["#text"] as string) ?? "" },
    ),
  );
}

export function loginStatus(doc: XmlNode): string | undefined {
  const login = (doc.Response as XmlNode).Login as XmlNode | undefined;
  return login?.status as string | undefined;
}

export const ipHostXml = (name: string, ip: string, groups: string[] = [], family = "IPv4"): string =>
  `<IPHost><Name>${xmlEscape(name)}</Name><IPFamily>${family}</IPFamily><HostType>IP</HostType><IPAddress>${ip}</IPAddress>${
    groups.length
      ? `<HostGroupList>${groups.map((g) => `<HostGroup>${xmlEscape(g)}</HostGroup>`).join("")}</HostGroupList>`
      : ""
  }</IPHost>`;

export const groupXml = (name: string, hosts: string[] = [], family = "IPv4", description = ""): string =>
  `<IPHostGroup><Name>${xmlEscape(name)}</Name><Description>${xmlEscape(description)}</Description><IPFamily>${family}</IPFamily>${
    hosts.length ? `<HostList>${hosts.map((h) => `<Host>${xmlEscape(h)}</Host>`).join("")}</HostList>` : ""
  }</IPHostGroup>`;
