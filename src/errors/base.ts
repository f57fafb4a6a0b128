/**
 * The root of the project's typed errors. Every error says what was attempted, against what,
 * and what to do (`hint`). Secrets are redacted when the error is built, so no later
 * `console.log(error)`, JSON dump or crash trace can print them.
 */

const secretsToRedact = new Set<string>();

/**
 * Registers a secret (the firewall password) so that every F2bError message, hint and cause
 * message built afterwards has it replaced by `***`. Short values are ignored to avoid
 * mangling ordinary words.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= 4) {
    secretsToRedact.add(secret);
    // The XML-escaped and URL-encoded forms appear in request bodies and could be echoed.
    secretsToRedact.add(encodeURIComponent(secret));
    const escaped = secret.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    secretsToRedact.add(escaped);
    // The form a request actually carries: quotes escaped too (escapeXmlText).
    secretsToRedact.add(escaped.replace(/"/g, "&quot;").replace(/'/g, "&apos;"));
  }
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of secretsToRedact) {
    if (secret.length >= 4) out = out.split(secret).join("***");
  }
  return out;
}

export interface F2bErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

/**
 * Each bundle (dist/cli.mjs, dist/fleet.mjs, …) has its own copy of these classes, so plain
 * `instanceof` would not know an error thrown by another bundle and the CLI would print it as
 * "unexpected error". Every project error carries this mark (one symbol for the whole process,
 * whichever copy made it), naming the kind the CLI tells apart by exit code and layout.
 */
const ERROR_KIND = Symbol.for("f2b-sophosxg.error-kind");
type ErrorKind = "failure" | "usage" | "config";

function kindOf(value: unknown): ErrorKind | undefined {
  return value instanceof Error ? (value as Error & { [ERROR_KIND]?: ErrorKind })[ERROR_KIND] : undefined;
}

function isErrorOf(errorClass: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(errorClass, value)) return true;
  const kind = kindOf(value);
  if (errorClass === F2bError) return kind !== undefined;
  if (errorClass === UsageError) return kind === "usage";
  if (errorClass === ConfigError) return kind === "config";
  return false;
}

export class F2bError extends Error {
  override name = "F2bError";
  readonly hint: string | undefined;
  readonly [ERROR_KIND]: ErrorKind = "failure";

  /** This copy's classes, or another bundle's error of the same kind (see ERROR_KIND). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class tested (a subclass when inherited)
    return isErrorOf(this, value);
  }

  constructor(message: string, options: F2bErrorOptions = {}) {
    super(
      redactSecrets(message),
      options.cause === undefined ? undefined : { cause: redactCause(options.cause) },
    );
    this.hint = options.hint === undefined ? undefined : redactSecrets(options.hint);
  }

  /** One line for a log or for Fail2ban's "-- stderr:" line: the message, then the hint. */
  toLine(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Causes from Node (e.g. a socket error) can carry request details; keep only a redacted message. */
function redactCause(cause: unknown): unknown {
  if (cause instanceof F2bError) return cause;
  if (cause instanceof Error) {
    const copy = new Error(redactSecrets(cause.message));
    copy.name = cause.name;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== undefined) (copy as NodeJS.ErrnoException).code = code;
    return copy;
  }
  return typeof cause === "string" ? redactSecrets(cause) : undefined;
}

/** Bad command line or configuration: exit code 2, nothing was sent. */
export class UsageError extends F2bError {
  override name = "UsageError";
  override readonly [ERROR_KIND]: ErrorKind = "usage";
}

export class ConfigError extends F2bError {
  override name = "ConfigError";
  override readonly [ERROR_KIND]: ErrorKind = "config";
  /** One line per problem found, each naming the key or file and what to do. */
  readonly problems: string[];
  constructor(message: string, problems: string[] = [], options: F2bErrorOptions = {}) {
    super(message, options);
    this.problems = problems.map(redactSecrets);
  }
}
