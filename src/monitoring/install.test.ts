import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isOpsError } from "../core/errors.js";
import {
  RUNBOOK_PLACEHOLDER,
  installMonitoring,
  resolvePackFiles,
  resolveScrapeSnippet,
} from "./install.js";

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "clawops-monitoring-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the monitoring pack's install", () => {
  it("substitutes the runbook base in the rules and their tests, and ships every runbook", () => {
    const files = resolvePackFiles("https://wiki.example.com/runbooks/");
    const alerts = files.find((f) => f.target === "alerts.yml")!.content;
    expect(alerts).not.toContain(RUNBOOK_PLACEHOLDER);
    expect(alerts).toContain("https://wiki.example.com/runbooks/gateway-down.md");
    expect(files.find((f) => f.target === "alerts.test.yml")!.content).not.toContain(
      RUNBOOK_PLACEHOLDER,
    );
    expect(files.map((f) => f.target)).toEqual(
      expect.arrayContaining([
        "alertmanager.yml",
        "grafana/fleet.json",
        "grafana/bot.json",
        "grafana/repairs.json",
        "grafana/cost.json",
        "runbooks/gateway-down.md",
      ]),
    );
  });

  it("writes the files, leaves identical ones, refuses differing ones without force", () => {
    const dir = path.join(scratch(), "monitoring");
    const first = installMonitoring({ dir });
    expect(first.every((f) => f.status === "created")).toBe(true);
    expect(installMonitoring({ dir }).every((f) => f.status === "unchanged")).toBe(true);

    const alerts = path.join(dir, "alerts.yml");
    writeFileSync(alerts, "# mine\n");
    let refused: unknown;
    try {
      installMonitoring({ dir, runbookBase: "https://x.example" });
    } catch (error) {
      refused = error;
    }
    expect(isOpsError(refused) && refused.code).toBe("CONFLICT");
    // Nothing was written: not even the files that did not conflict.
    expect(readFileSync(alerts, "utf8")).toBe("# mine\n");
    expect(readFileSync(path.join(dir, "alerts.test.yml"), "utf8")).not.toContain("x.example");

    const forced = installMonitoring({ dir, force: true, now: () => new Date(0) });
    const replaced = forced.find((f) => f.path === alerts)!;
    expect(replaced.status).toBe("updated");
    expect(readFileSync(replaced.backup!, "utf8")).toBe("# mine\n");
    expect(readFileSync(alerts, "utf8")).toContain("docs/runbooks/gateway-down.md");
    // No temp file is left behind.
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("prints a scrape config with a token file placeholder, never a token", () => {
    const snippet = resolveScrapeSnippet({
      target: "127.0.0.1:7878",
      scheme: "http",
      rulesFile: "/etc/prometheus/clawops/alerts.yml",
    });
    expect(snippet).toContain("job_name: clawops");
    expect(snippet).toContain("credentials_file: /etc/prometheus/clawops.token");
    expect(snippet).not.toMatch(/credentials:\s/);
  });
});
