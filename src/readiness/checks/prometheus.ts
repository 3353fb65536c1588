import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { PACK_DIR } from "../../monitoring/install.js";
import { componentSchema, defineCheck, envName, httpUrl } from "../check.js";
import { failureText, shownUrl } from "../redact.js";

const schema = componentSchema(
  "prometheus",
  { weight: 1, timeout: "10s" },
  {
    /** Prometheus's base URL: `http://host:9090`. */
    url: httpUrl,
    /** The scrape job of clawops's `/metrics`. */
    job: z.string().min(1).default("clawops"),
    /** Rule groups that must be loaded; default: those of clawops's pack (`clawops monitoring install`). */
    ruleGroups: z.array(z.string().min(1)).optional(),
    /** The variable holding a bearer token, for a Prometheus behind auth. */
    tokenEnv: envName.optional(),
  },
);

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError?: string;
}
interface RuleGroup {
  name: string;
  rules: { name: string; health?: string; lastError?: string }[];
}

/** Prometheus scrapes clawops (its job's targets are up) and has clawops's alert rules loaded and healthy. */
export const prometheus = defineCheck({
  id: "prometheus",
  title: "Prometheus",
  schema,
  target: (config) => shownUrl(config.url),
  async run(config, deps, signal) {
    const base = config.url.replace(/\/+$/, "");
    const token = config.tokenEnv ? deps.env[config.tokenEnv] : undefined;
    const get = async <T>(api: string): Promise<T> => {
      const response = await fetch(`${base}${api}`, {
        signal,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      if (!response.ok) throw new Error(`${api} answered HTTP ${response.status}`);
      const body = (await response.json()) as { status?: string; data?: T; error?: string };
      if (body.status !== "success" || !body.data)
        throw new Error(`${api}: ${body.error ?? "no data"}`);
      return body.data;
    };
    let targets: Target[];
    let groups: RuleGroup[];
    try {
      targets = (await get<{ activeTargets: Target[] }>("/api/v1/targets?state=active"))
        .activeTargets;
      groups = (await get<{ groups: RuleGroup[] }>("/api/v1/rules?type=alert")).groups;
    } catch (error) {
      return {
        status: "fail",
        summary: `Prometheus's API does not answer at ${shownUrl(base)}: ${failureText(error)}`,
        fix: "is Prometheus running at the URL? (curl <url>/-/ready)",
      };
    }
    const mine = targets.filter((t) => t.labels.job === config.job);
    const up = mine.filter((t) => t.health === "up").length;
    const expected = config.ruleGroups ?? packGroups();
    const loaded = new Set(groups.map((g) => g.name));
    const missing = expected.filter((g) => !loaded.has(g));
    const broken = groups
      .filter((g) => expected.includes(g.name))
      .flatMap((g) => g.rules.filter((r) => r.health === "err").map((r) => r.name));
    const evidence = {
      job: config.job,
      targets: mine.length,
      targetsUp: up,
      ruleGroups: expected.filter((g) => loaded.has(g)),
    };
    if (mine.length === 0) {
      return {
        status: "fail",
        summary: `Prometheus has no target in job "${config.job}": nothing scrapes clawops`,
        evidence,
        fix: `add a scrape job "${config.job}" for clawops's /metrics with a viewer token (docs/monitoring.md)`,
      };
    }
    if (up < mine.length) {
      const down = mine.find((t) => t.health !== "up");
      return {
        status: "fail",
        summary: `${mine.length - up} of ${mine.length} "${config.job}" target(s) down: ${down?.lastError || down?.health}`,
        evidence,
        fix: "is clawops up at the target's address, and does the scrape's token still exist? (clawops token list)",
      };
    }
    if (missing.length > 0) {
      return {
        status: "fail",
        summary: `clawops's alert rules are not loaded: ${missing.join(", ")} missing`,
        evidence,
        fix: "clawops monitoring install --to <dir>, list its alerts.yml in rule_files, and reload Prometheus",
      };
    }
    if (broken.length > 0) {
      return {
        status: "warn",
        summary: `rule(s) failing to evaluate: ${broken.join(", ")}`,
        evidence,
        fix: "Prometheus's /rules page shows each rule's error; the pack must match this clawops version (clawops monitoring install)",
      };
    }
    return {
      status: "pass",
      summary: `${up} "${config.job}" target(s) up; ${expected.length} clawops rule group(s) loaded`,
      evidence,
    };
  },
});

/** The rule groups of the pack this clawops ships. */
function packGroups(): string[] {
  const text = readFileSync(path.join(PACK_DIR, "alerts.yml"), "utf8");
  return ((parse(text) as { groups?: { name: string }[] }).groups ?? []).map((g) => g.name);
}
