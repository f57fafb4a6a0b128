/**
 * What the Sophos client throws. Every class extends F2bError (message = what was attempted,
 * against what; hint = what to do). Nothing here keeps the request body: it holds the password.
 */
import { F2bError, type F2bErrorOptions, redactSecrets, UsageError } from "../errors/index.ts";
import { meaningOf, STATUS_TABLE } from "./status-table.ts";

export interface SophosErrorOptions extends F2bErrorOptions {
  /** The firewall's origin (`https://fw:4444`), never with credentials. */
  url?: string | undefined;
}

/** Common root, so callers can tell client failures apart from their own. */
export class SophosError extends F2bError {
  override name = "SophosError";
  readonly url: string | undefined;
  /** True when the same request may succeed later unchanged (network trouble, timeouts). */
  readonly retryable: boolean = false;
  constructor(message: string, options: SophosErrorOptions = {}) {
    super(message, options);
    this.url = options.url;
  }
}

// ---- answers from the firewall ----------------------------------------------------------------

export interface SophosApiErrorOptions extends SophosErrorOptions {
  code?: number | undefined;
  entity?: string | undefined;
  firewallText: string;
}

/** The firewall answered, and the answer is a refusal (a status code or a known code-less text). */
export class SophosApiError extends SophosError {
  override name = "SophosApiError";
  readonly code: number | undefined;
  /** The entity element the status came from (`IPHost`, `Login`, …); undefined for top-level statuses. */
  readonly entity: string | undefined;
  readonly firewallText: string;
  constructor(message: string, options: SophosApiErrorOptions) {
    const hint = options.hint ?? defaultApiHint(options.code);
    super(message, hint === undefined ? options : { ...options, hint });
    this.code = options.code;
    this.entity = options.entity;
    this.firewallText = redactSecrets(options.firewallText);
  }
}

function defaultApiHint(code: number | undefined): string | undefined {
  return meaningOf(code).hint;
}

export class AuthenticationError extends SophosApiError {
  override name = "AuthenticationError";
}
export class ApiDisabledError extends SophosApiError {
  override name = "ApiDisabledError";
}
export class CallerNotAllowedError extends SophosApiError {
  override name = "CallerNotAllowedError";
}
export class RequestInvalidError extends SophosApiError {
  override name = "RequestInvalidError";
}
export class TransactionFailError extends SophosApiError {
  override name = "TransactionFailError";
}

export const Hints = {
  auth: "check the API user name and password, and that the user's administrator profile allows API access (Objects and Network read-write)",
  apiDisabled: STATUS_TABLE[532]!.hint!,
  callerNotAllowed: STATUS_TABLE[534]!.hint!,
  requestInvalid: STATUS_TABLE[529]!.hint!,
  transactionFail: "the firewall does not support this query (entity or filter key); check the filter",
} as const;

// ---- failures before or around the answer -----------------------------------------------------

export interface TransportErrorOptions extends SophosErrorOptions {
  /** The Node error code (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`…) when there is one. */
  code?: string | undefined;
}

/** The firewall could not be reached, or the connection broke. Nothing is known about the outcome. */
export class TransportError extends SophosError {
  override name = "TransportError";
  override readonly retryable: boolean = true;
  readonly code: string | undefined;
  constructor(message: string, options: TransportErrorOptions = {}) {
    super(message, options);
    this.code = options.code;
  }
}

export type TimeoutKind = "connect" | "request";

export class TimeoutError extends TransportError {
  override name = "TimeoutError";
  /** `connect`: TCP plus TLS handshake; `request`: the whole request's deadline. */
  readonly timeout: TimeoutKind;
  readonly timeoutMs: number;
  constructor(message: string, options: TransportErrorOptions & { timeout: TimeoutKind; timeoutMs: number }) {
    super(message, { code: "ETIMEDOUT", ...options });
    this.timeout = options.timeout;
    this.timeoutMs = options.timeoutMs;
  }
}

export interface TlsErrorOptions extends SophosErrorOptions {
  reason: "verification" | "pin-mismatch" | "handshake";
  code?: string | undefined;
  /** The fingerprint the server presented (SHA-256, colon-separated upper-case hex); public, not a secret. */
  actualSha256?: string | undefined;
}

/** The server's certificate was not accepted; no request byte was sent. */
export class TlsError extends SophosError {
  override name = "TlsError";
  readonly reason: TlsErrorOptions["reason"];
  readonly code: string | undefined;
  readonly actualSha256: string | undefined;
  constructor(message: string, options: TlsErrorOptions) {
    super(message, options);
    this.reason = options.reason;
    this.code = options.code;
    this.actualSha256 = options.actualSha256;
  }
}

export const TlsHints = {
  verification:
    'the certificate is not trusted: set tls {mode:"ca", ca:<PEM of the firewall\'s CA>}, or pin it with tls {mode:"pin"} (fingerprint: openssl s_client -connect HOST:PORT </dev/null | openssl x509 -noout -fingerprint -sha256)',
  pin: "the certificate does not match the pinned SHA-256 fingerprint; if the firewall's certificate was renewed, read the new one with: openssl s_client -connect HOST:PORT </dev/null | openssl x509 -noout -fingerprint -sha256",
} as const;

export type ResponseFormatReason =
  | "http-status"
  | "html"
  | "content-type"
  | "malformed"
  | "entities"
  | "too-large"
  | "shape";

/** The answer is not a Sophos XML API answer (wrong status, HTML, not XML, too large, unknown shape). */
export class ResponseFormatError extends SophosError {
  override name = "ResponseFormatError";
  readonly reason: ResponseFormatReason;
  readonly httpStatus: number | undefined;
  readonly contentType: string | undefined;
  constructor(
    message: string,
    options: SophosErrorOptions & {
      reason: ResponseFormatReason;
      httpStatus?: number | undefined;
      contentType?: string | undefined;
    },
  ) {
    super(message, options);
    this.reason = options.reason;
    this.httpStatus = options.httpStatus;
    this.contentType = options.contentType;
  }
}

/** A value cannot be put into a request (control character, bad option). Nothing was sent. */
export class InvalidRequestValueError extends UsageError {
  override name = "InvalidRequestValueError";
  /** The request field, e.g. `IPHost[3].Name` or `Password`; never the value. */
  readonly field: string;
  constructor(message: string, field: string, options: F2bErrorOptions = {}) {
    super(message, options);
    this.field = field;
  }
}
