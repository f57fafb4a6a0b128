export { DEFAULT_MAX_ENTITIES_PER_REQUEST, SophosClient } from "./client.ts";
export {
  ApiDisabledError,
  AuthenticationError,
  CallerNotAllowedError,
  InvalidRequestValueError,
  RequestInvalidError,
  ResponseFormatError,
  type ResponseFormatReason,
  SophosApiError,
  SophosError,
  TimeoutError,
  type TimeoutKind,
  TlsError,
  TransactionFailError,
  TransportError,
} from "./errors.ts";
export { parseResponse } from "./response.ts";
export * from "./status-table.ts";
export { normalizeSha256 } from "./tls-options.ts";
export {
  API_PATH,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  HttpsTransport,
  type HttpsTransportOptions,
} from "./transport.ts";
export type {
  EntityOutcome,
  RequestEvent,
  SophosClientOptions,
  SophosEntityResult,
  SophosResponse,
  SophosStatus,
  TlsMode,
  Transport,
  TransportResponse,
} from "./types.ts";
