/**
 * A private, real Prometheus (Debian's `prometheus` package) for the metrics tests: its own
 * config scraping given targets every second, its own storage in a temp directory, on a free
 * loopback port; stopped by pid. Queries go through its HTTP API, as Grafana's would.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { freePort } from "../support/ports.ts";

/** PROMETHEUS_BIN: another installation (an empty or wrong path counts as "not installed"). */
export function findPrometheus(override = process.env.PROMETHEUS_BIN): string | undefined {
  const candidates =
    override !== undefined
      ? [override]
      : (process.env.PATH ?? "").split(delimiter).map((d) => join(d, "prometheus"));
  for (const path of candidates) {
    if (path === "") continue;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not there: try the next.
    }
  }
  return undefined;
}

export interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrivatePrometheus {
  private child: ChildProcess | undefined;
  private log = "";
  url = "";

  constructor(
    private readonly binary: string,
    private readonly dir: string,
  ) {}

  /** Starts scraping `targets` (host:port) every second; resolves once Prometheus is ready. */
  async start(targets: string[]): Promise<void> {
    const config = join(this.dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 900ms",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: f2b",
        "    static_configs:",
        `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const child = spawn(
      this.binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(this.dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--storage.tsdb.retention.time=1h",
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const until = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${this.log}`);
      try {
        const res = await fetch(`${this.url}/-/ready`);
        if (res.ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > until) throw new Error(`prometheus not ready after 30 s:\n${this.log}`);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
  }

  /** An instant query; throws with Prometheus's own error text when the query is refused. */
  async query(expr: string): Promise<QueryResult[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: QueryResult[] | [number, string] };
    };
    if (body.status !== "success") throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
    const data = body.data!;
    if (data.resultType === "scalar") return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as QueryResult[];
  }

  /** The single value of `expr`, or undefined when it has no series. */
  async value(expr: string): Promise<number | undefined> {
    const result = await this.query(expr);
    return result.length === 0 ? undefined : Number(result[0]!.value[1]);
  }

  /** Polls `expr` until `accept` says yes; fails with the last value seen. */
  async waitFor(
    expr: string,
    accept: (v: number | undefined) => boolean,
    timeoutMs = 20_000,
  ): Promise<number> {
    const until = Date.now() + timeoutMs;
    let last: number | undefined;
    for (;;) {
      last = await this.value(expr);
      if (accept(last)) return last!;
      if (Date.now() > until) throw new Error(`prometheus: ${expr} was still ${last} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Every label value Prometheus stores, for the secrets check. */
  async allLabelValues(): Promise<string[]> {
    const names = (await (await fetch(`${this.url}/api/v1/labels`)).json()) as { data: string[] };
    const values: string[] = [];
    for (const name of names.data) {
      const res = (await (
        await fetch(`${this.url}/api/v1/label/${encodeURIComponent(name)}/values`)
      ).json()) as {
        data: string[];
      };
      values.push(name, ...res.data);
    }
    return values;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
