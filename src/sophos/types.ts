/**
 * The public shapes of the Sophos client: options, the injectable transport, and what a request
 * answers with. Kept apart from the code so that callers (and other backends) can import types only.
 */
import type { XmlNode } from "../protocol/index.ts";
import type { SophosApiError, SophosError } from "./errors.ts";
import type { StatusKind } from "./status-table.ts";

/**
 * How the firewall's certificate is checked.
 * - `system`: the Node default CAs, hostname verified (a firewall with a public certificate).
 * - `ca`: verified against this PEM only (the appliance's own CA or the self-signed certificate).
 * - `pin`: only the certificate whose SHA-256 DER fingerprint is `sha256` is accepted (hex, colons
 *   optional, any case). Checked before any byte of the request is sent.
 * - `insecure`: no verification at all. Explicit, for tests and first contact only.
 */
export type TlsMode =
  | { mode: "system" }
  | { mode: "ca"; ca: string }
  | { mode: "pin"; sha256: string }
  | { mode: "insecure" };

/** What a transport hands back: the raw HTTP answer, body already bounded in size. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Carries one request XML document to the firewall and brings back the HTTP answer.
 * The default is `HttpsTransport`; tests or other runtimes may pass their own.
 * A transport throws `TransportError`, `TimeoutError`, `TlsError` or `ResponseFormatError`
 * (for a body over the size cap); it never inspects the XML.
 */
export interface Transport {
  /** `requestXml` is the complete `<Request>` document; the transport form-encodes it as `reqxml`. */
  post(requestXml: string, options?: { signal?: AbortSignal }): Promise<TransportResponse>;
  /** Releases kept-alive connections so the process can exit. */
  close?(): void;
}

/** Reported to `onRequest` after each request; never carries the request body or the password. */
export interface RequestEvent {
  /** `login`, `get`, `set`, `remove` or `raw`. */
  kind: "login" | "get" | "set" | "remove" | "raw";
  /** `IPHost`, `IPHostGroup`, or undefined for login and raw requests. */
  entityType: string | undefined;
  /** Entities carried by this request (0 for login and Get). */
  entityCount: number;
  durationMs: number;
  /** Set when the request failed at request level (the error is then thrown). */
  error: SophosError | undefined;
}

export interface SophosClientOptions {
  /** Base URL of the web admin console, e.g. `https://fw.example:4444`; `/webconsole/APIController` is appended. */
  url: string;
  username: string;
  password: string;
  /** Default `{ mode: "system" }`. */
  tls?: TlsMode;
  /** TCP connect plus TLS handshake, in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Whole request from start to the last byte of the answer (a deadline, not an idle timeout), in ms. Default 30 000. */
  requestTimeoutMs?: number;
  /** Entities per write request; larger writes are split. Default 100. */
  maxEntitiesPerRequest?: number;
  /** Answers larger than this fail with ResponseFormatError. Default 8 MiB. */
  maxResponseBytes?: number;
  /** Allows an `http://` URL (the emulator's `--insecure-http`). The password then travels in clear text. */
  allowInsecureHttp?: boolean;
  /** Replaces the HTTPS transport (then `tls`, timeouts and size cap are the transport's business). */
  transport?: Transport;
  /** Called after every request, for logging or counting. Must not throw. */
  onRequest?: (event: RequestEvent) => void;
}

/** One `<Status>` element as the firewall wrote it. `code` is absent for code-less statuses. */
export interface SophosStatus {
  code?: number;
  text: string;
}

/** One entity element of an answer (`<IPHost transactionid="">…</IPHost>`). */
export interface SophosEntityResult {
  /** The element name, e.g. `IPHost`. */
  entity: string;
  /** Statuses inside the element (a bulk Remove answers one per name). */
  statuses: SophosStatus[];
  /** The parsed element, for callers of `sendRaw` that read other entities. */
  node: XmlNode;
}

/** A parsed answer whose request-level part (login, top-level status) succeeded. */
export interface SophosResponse {
  apiVersion: string | undefined;
  /** The `<Login><status>` text; undefined when the answer had no Login block. */
  loginStatus: string | undefined;
  /** Entity elements; in document order within one element name, grouped by name. */
  entities: SophosEntityResult[];
}

/** The result for one entity of a write: `ok` is `kind === "ok"` (see status-table.ts). */
export interface EntityOutcome {
  name: string;
  ok: boolean;
  /** What the code means (status-table.ts); delivery decides on this, never on the number. */
  kind: StatusKind;
  code?: number;
  /** The firewall's status text. */
  text: string;
  /** Set when `ok` is false. */
  error?: SophosApiError;
}
