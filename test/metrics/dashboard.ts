/** The queries of examples/grafana-dashboard.json, with Grafana's variables filled in as Grafana would. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO } from "../support/harness.ts";

export const DASHBOARD = join(REPO, "examples", "grafana-dashboard.json");

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export interface DashboardQuery {
  where: string;
  expr: string;
}

/** `$__rate_interval` → 1m (several 1 s scrapes), `$firewall` → every firewall. */
export function asPromQl(expr: string): string {
  return expr.replaceAll("$__rate_interval", "1m").replaceAll("$firewall", ".*");
}

export function dashboardQueries(path = DASHBOARD): DashboardQuery[] {
  const dashboard = JSON.parse(readFileSync(path, "utf8")) as {
    panels: Panel[];
    templating: { list: { name: string; query?: string | { query?: string } }[] };
  };
  const out: DashboardQuery[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr) out.push({ where: `panel "${panel.title}"`, expr: asPromQl(target.expr) });
      }
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
    // label_values(metric, label) is Grafana's, not PromQL: the metric is what must exist.
    const labelValues = /^label_values\(\s*([^,]+),/.exec(query ?? "");
    if (labelValues)
      out.push({ where: `variable $${variable.name}`, expr: asPromQl(labelValues[1]!.trim()) });
  }
  return out;
}

/** Our metric names a query uses (histogram series names included as written). */
export function metricNames(expr: string): string[] {
  return [...new Set(expr.match(/\bf2b_sophosxg_[a-z0-9_]+/g) ?? [])];
}
