/**
 * The bouncer's side of the CrowdSec Local API: `GET /v1/decisions/stream`, the whole list with
 * `startup=true`, otherwise what changed since this key's previous call. The key travels only
 * in the `X-Api-Key` header (never in the URL, a log line or an error); it is registered as a
 * secret when the config is read. Anything but a 200 with a well-formed body is an error: the
 * caller then releases nothing.
 */
import type { IncomingMessage } from "node:http";
import type { CrowdsecConfig } from "../../config/types.ts";
import { CrowdsecError } from "./errors.ts";
import { type LapiDecision, parseStreamBody, type StreamAnswer } from "./stream-body.ts";

/** 100,000 decisions are about 15 MB of JSON; anything far beyond is not an answer we want. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export type LapiFilters = Pick<CrowdsecConfig, "origins" | "scenariosContaining" | "scenariosNotContaining">;

export interface LapiClientOptions extends LapiFilters {
  lapiUrl: string;
  apiKey: string;
  requestTimeoutMs: number;
}

export class LapiClient {
  constructor(private readonly options: LapiClientOptions) {}

  /** The stream URL with our filters; it never carries the key. */
  streamUrl(startup: boolean): URL {
    const url = new URL(`${this.options.lapiUrl}/v1/decisions/stream`);
    if (startup) url.searchParams.set("startup", "true");
    url.searchParams.set("scopes", "ip,range");
    if (this.options.origins.length > 0) url.searchParams.set("origins", this.options.origins.join(","));
    if (this.options.scenariosContaining.length > 0)
      url.searchParams.set("scenarios_containing", this.options.scenariosContaining.join(","));
    if (this.options.scenariosNotContaining.length > 0)
      url.searchParams.set("scenarios_not_containing", this.options.scenariosNotContaining.join(","));
    return url;
  }

  /** One pull. Throws CrowdsecError on a network error, a timeout, a non-200 or a body we cannot read. */
  async stream(startup: boolean): Promise<StreamAnswer> {
    const url = this.streamUrl(startup);
    const what = `ask the CrowdSec LAPI ${this.options.lapiUrl} for ${startup ? "all decisions" : "new decisions"}`;
    const { status, body } = await this.get(url, what);
    if (status === 403 || status === 401) {
      throw new CrowdsecError(`cannot ${what}: the LAPI refused the bouncer key (HTTP ${status})`, {
        status,
        hint: "create a key with `cscli bouncers add f2b-sophosxg` and put it alone in the api_key_file",
      });
    }
    if (status !== 200) {
      throw new CrowdsecError(`cannot ${what}: HTTP ${status}`, {
        status,
        hint: "check the LAPI's log (crowdsec.log); nothing is released meanwhile",
      });
    }
    const parsed = parseStreamBody(body);
    if ("problem" in parsed) {
      throw new CrowdsecError(`cannot ${what}: ${parsed.problem}`, {
        status,
        hint: "is lapi_url the CrowdSec Local API? nothing is released meanwhile",
      });
    }
    return parsed;
  }

  /**
   * The active decisions as a plain list (`GET /v1/decisions`), for `doctor`: unlike the stream,
   * it does not move this key's delta position, so a running bouncer misses nothing.
   */
  async decisions(): Promise<LapiDecision[]> {
    const what = `list the decisions of the CrowdSec LAPI ${this.options.lapiUrl}`;
    const { status, body } = await this.get(new URL(`${this.options.lapiUrl}/v1/decisions`), what);
    if (status === 403 || status === 401) {
      throw new CrowdsecError(`cannot ${what}: the LAPI refused the bouncer key (HTTP ${status})`, {
        status,
        hint: "create a key with `cscli bouncers add f2b-sophosxg` and put it alone in the api_key_file",
      });
    }
    if (status !== 200) throw new CrowdsecError(`cannot ${what}: HTTP ${status}`, { status });
    const wrapped = parseStreamBody(`{"new":${body.trim() === "" ? "" : body},"deleted":null}`);
    if ("problem" in wrapped)
      throw new CrowdsecError(`cannot ${what}: the answer is not a list of decisions`);
    return wrapped.new;
  }

  /**
   * One GET. A kept-alive connection that the LAPI closed meanwhile (it restarted, or closed it
   * idle) fails with a reset before any answer: that one is tried again at once on a new
   * connection, as Node's documentation advises, rather than counted as a failed pull.
   */
  private async get(url: URL, what: string, retried = false): Promise<{ status: number; body: string }> {
    const { request } = url.protocol === "https:" ? await import("node:https") : await import("node:http");
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message: string, hint: string, cause?: unknown) => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(new CrowdsecError(`cannot ${what}: ${message}`, { hint, cause }));
      };
      const req = request(
        url,
        {
          method: "GET",
          headers: {
            "X-Api-Key": this.options.apiKey,
            Accept: "application/json",
            "User-Agent": "f2b-sophosxg",
          },
          timeout: this.options.requestTimeoutMs,
        },
        (res: IncomingMessage) => {
          // Decoded as it arrives: a full pull of 100,000 decisions is tens of megabytes, and
          // keeping its buffers, their concatenation and the text all at once tripled that.
          res.setEncoding("utf8");
          let body = "";
          let bytes = 0;
          res.on("data", (chunk: string) => {
            if (settled) return;
            body += chunk;
            bytes += Buffer.byteLength(chunk, "utf8");
            if (bytes > MAX_BODY_BYTES) {
              body = "";
              fail(`the answer is larger than ${MAX_BODY_BYTES} bytes`, "check lapi_url");
            }
          });
          res.on("error", (error) =>
            fail(`the answer was cut off: ${error.message}`, "retried at the next poll", error),
          );
          res.on("end", () => {
            if (settled) return;
            if (!res.complete) {
              fail("the answer was cut off", "retried at the next poll");
              return;
            }
            settled = true;
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on("timeout", () =>
        fail(
          `no answer within ${this.options.requestTimeoutMs} ms`,
          "is the LAPI overloaded? retried at the next poll",
        ),
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (
          !settled &&
          !retried &&
          req.reusedSocket &&
          (error.code === "ECONNRESET" || error.code === "EPIPE")
        ) {
          settled = true;
          resolve(this.get(url, what, true));
          return;
        }
        fail(
          error.code === "ECONNREFUSED"
            ? "connection refused"
            : `${error.code ?? ""} ${error.message}`.trim(),
          error.code === "ECONNREFUSED"
            ? "is crowdsec running and listening on lapi_url? (systemctl status crowdsec)"
            : "check lapi_url and the network; retried at the next poll",
          error,
        );
      });
      req.end();
    });
  }
}
