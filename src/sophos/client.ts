/**
 * SophosClient: typed operations on IP hosts and IP host groups (the contract in AGENTS.md).
 * Request-level failures throw; per-entity results of writes come back as EntityOutcome[].
 * The client never prints: Fail2ban deadlocks on more than 64 KiB of action output.
 */
import { registerSecret } from "../errors/index.ts";
import {
  type GetFilter,
  type IpHost,
  type IpHostGroup,
  parseXml,
  type SetOperation,
  textOf,
  XmlSyntaxError,
} from "../protocol/index.ts";
import { getResults, ipHostFromNode, ipHostGroupFromNode, writeOutcomes } from "./entity-results.ts";
import { InvalidRequestValueError, SophosError } from "./errors.ts";
import { getXml, removeXml, requestXml, setIpHostGroupsXml, setIpHostsXml, text } from "./request-xml.ts";
import { parseResponse } from "./response.ts";
import { HttpsTransport, positiveInt } from "./transport.ts";
import type { EntityOutcome, RequestEvent, SophosClientOptions, SophosResponse, Transport } from "./types.ts";

export const DEFAULT_MAX_ENTITIES_PER_REQUEST = 100;

export class SophosClient {
  /** The firewall's origin, for messages. */
  readonly url: string;
  readonly maxEntitiesPerRequest: number;
  private readonly transport: Transport;
  private readonly username: string;
  private readonly password: string;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;

  constructor(options: SophosClientOptions) {
    // First thing: from here on no F2bError can carry the password in clear.
    registerSecret(options.password);
    // Refuse control characters in credentials now, not on the first request.
    text(options.username, "Username");
    const escaped = text(options.password, "Password");
    // The forms that travel: escaped in the XML (quotes too), then URL-encoded in the form body.
    registerSecret(escaped);
    registerSecret(encodeURIComponent(escaped));
    this.username = options.username;
    this.password = options.password;
    this.maxEntitiesPerRequest = positiveInt(
      options.maxEntitiesPerRequest,
      DEFAULT_MAX_ENTITIES_PER_REQUEST,
      "maxEntitiesPerRequest",
    );
    this.onRequest = options.onRequest;
    if (options.transport !== undefined) {
      this.transport = options.transport;
      this.url = safeOrigin(options.url);
    } else {
      const transport = new HttpsTransport({
        url: options.url,
        tls: options.tls,
        connectTimeoutMs: options.connectTimeoutMs,
        requestTimeoutMs: options.requestTimeoutMs,
        maxResponseBytes: options.maxResponseBytes,
        allowInsecureHttp: options.allowInsecureHttp,
      });
      this.transport = transport;
      this.url = transport.origin;
    }
    // Keep the password off enumerable properties so util.inspect/JSON of the client never show it.
    Object.defineProperty(this, "password", { enumerable: false });
  }

  /** Checks the credentials (and the API gates: enabled, caller allowed). */
  async login(): Promise<void> {
    await this.request("login", undefined, 0, "");
  }

  async getIpHosts(filter?: GetFilter): Promise<IpHost[]> {
    const response = await this.request("get", "IPHost", 0, getXml("IPHost", filter));
    return getResults(response, "IPHost", this.url).map((node) => ipHostFromNode(node, this.url));
  }

  /** `like` is a substring match on the firewall, so the answer is narrowed to names starting with `prefix`. */
  async getIpHostsByNamePrefix(prefix: string): Promise<IpHost[]> {
    if (prefix === "") return this.getIpHosts();
    const filter: GetFilter = { key: "Name", criteria: "like", value: prefix };
    const response = await this.request("get", "IPHost", 0, getXml("IPHost", filter));
    // Narrow by name before reading each object: a foreign host that merely contains the prefix,
    // of a kind we do not read, must not make the whole answer fail.
    return getResults(response, "IPHost", this.url)
      .filter((node) => textOf(node.Name)?.startsWith(prefix) === true)
      .map((node) => ipHostFromNode(node, this.url));
  }

  async getIpHostGroups(filter?: GetFilter): Promise<IpHostGroup[]> {
    const response = await this.request("get", "IPHostGroup", 0, getXml("IPHostGroup", filter));
    return getResults(response, "IPHostGroup", this.url).map((node) => ipHostGroupFromNode(node, this.url));
  }

  async getIpHostGroup(name: string): Promise<IpHostGroup | undefined> {
    const groups = await this.getIpHostGroups({ key: "Name", criteria: "=", value: name });
    // Exact match on our side too: an unsupported filter is silently ignored and returns everything (JANWEIS).
    return groups.find((group) => group.name === name);
  }

  setIpHostGroups(groups: IpHostGroup[], op: SetOperation): Promise<EntityOutcome[]> {
    return this.write(
      groups,
      "IPHostGroup",
      "set",
      (chunk, offset) => setIpHostGroupsXml(chunk, op, offset),
      `writing (${op})`,
    );
  }

  setIpHosts(hosts: IpHost[], op: SetOperation): Promise<EntityOutcome[]> {
    return this.write(
      hosts,
      "IPHost",
      "set",
      (chunk, offset) => setIpHostsXml(chunk, op, offset),
      `writing (${op})`,
    );
  }

  /**
   * Takes the hosts out of every group: an update of each whole host without HostGroupList
   * (the firewall resets what is omitted). The hosts' other fields are written as given.
   */
  unlinkIpHosts(hosts: IpHost[]): Promise<EntityOutcome[]> {
    return this.setIpHosts(
      hosts.map((host) => ({ ...host, hostGroups: [] })),
      "update",
    );
  }

  /** A host still in a group cannot be removed: unlink it first. A missing host answers 528. */
  removeIpHosts(names: string[]): Promise<EntityOutcome[]> {
    return this.write(
      names.map((name) => ({ name })),
      "IPHost",
      "remove",
      (chunk, offset) =>
        removeXml(
          "IPHost",
          chunk.map((c) => c.name),
          offset,
        ),
      "removing",
    );
  }

  /**
   * Wraps `operationsXml` (e.g. `<Get><IPHost/></Get>`) in a Request with Login and returns the
   * parsed answer. Request-level failures throw as for the typed methods; entity statuses are
   * left to the caller. The caller escapes its own values.
   */
  async sendRaw(operationsXml: string): Promise<SophosResponse> {
    try {
      parseXml(`<Operations>${operationsXml}</Operations>`);
    } catch (error) {
      if (!(error instanceof XmlSyntaxError)) throw error;
      throw new InvalidRequestValueError(
        `the raw operations are not well-formed XML (${error.message}); nothing was sent`,
        "operationsXml",
      );
    }
    if (/<\s*Login[\s>/]/i.test(operationsXml)) {
      throw new InvalidRequestValueError(
        "the raw operations must not contain <Login>; the client adds it",
        "operationsXml",
      );
    }
    return this.request("raw", undefined, 0, operationsXml);
  }

  /** Closes kept-alive connections so the process can exit promptly. */
  close(): void {
    this.transport.close?.();
  }

  private async write<T extends { name: string }>(
    items: T[],
    entity: "IPHost" | "IPHostGroup",
    kind: "set" | "remove",
    build: (chunk: T[], offset: number) => string,
    what: string,
  ): Promise<EntityOutcome[]> {
    // Build every chunk before sending anything, so a bad value in entity 250 sends nothing at all.
    const chunks: { items: T[]; xml: string }[] = [];
    for (let offset = 0; offset < items.length; offset += this.maxEntitiesPerRequest) {
      const chunk = items.slice(offset, offset + this.maxEntitiesPerRequest);
      chunks.push({ items: chunk, xml: build(chunk, offset) });
    }
    const outcomes: EntityOutcome[] = [];
    for (const chunk of chunks) {
      const response = await this.request(kind, entity, chunk.items.length, chunk.xml);
      const names = chunk.items.map((item) => item.name);
      outcomes.push(...writeOutcomes(response, entity, names, this.url, `${what} ${entity}`));
    }
    return outcomes;
  }

  private async request(
    kind: RequestEvent["kind"],
    entityType: string | undefined,
    entityCount: number,
    operationsXml: string,
  ): Promise<SophosResponse> {
    const xml = requestXml({ username: this.username, password: this.password }, operationsXml);
    const started = Date.now();
    let failure: SophosError | undefined;
    try {
      return parseResponse(await this.transport.post(xml), this.url);
    } catch (error) {
      if (error instanceof SophosError) failure = error;
      throw error;
    } finally {
      this.onRequest?.({ kind, entityType, entityCount, durationMs: Date.now() - started, error: failure });
    }
  }
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(custom transport)";
  }
}
