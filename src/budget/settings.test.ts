import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config/load.js";
import { OpsError } from "../core/errors.js";
import { resolveLimits } from "./settings.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "clawops-budgets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(yaml: string) {
  writeFileSync(path.join(dir, "clawops.yaml"), yaml);
  return loadConfig({ cwd: dir, env: {} });
}

function issues(yaml: string): string[] {
  try {
    load(yaml);
  } catch (error) {
    expect(error).toBeInstanceOf(OpsError);
    return (error as OpsError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected the config to be rejected");
}

describe("budgets in clawops.yaml", () => {
  it("takes bot and owner budgets with their defaults, one limit per window", () => {
    const { config } = load(`
budgets:
  - { bot: alpha, daily: 5, monthly: 100, action: pause }
  - { owner: team-a, monthly: 250.5, warnAt: 0.9 }
`);
    expect(config.budgets).toEqual([
      { bot: "alpha", daily: 5, monthly: 100, warnAt: 0.8, action: "pause" },
      { owner: "team-a", monthly: 250.5, warnAt: 0.9, action: "notify" },
    ]);
    expect(resolveLimits(config.budgets)).toEqual([
      { scope: "bot", name: "alpha", window: "day", limitUsd: 5, warnAt: 0.8, action: "pause" },
      { scope: "bot", name: "alpha", window: "month", limitUsd: 100, warnAt: 0.8, action: "pause" },
      {
        scope: "owner",
        name: "team-a",
        window: "month",
        limitUsd: 250.5,
        warnAt: 0.9,
        action: "notify",
      },
    ]);
    expect(load("dataDir: ./data").config.budgets).toEqual([]);
  });

  it("names the path of every mistake", () => {
    expect(
      issues(`
budgets:
  - { bot: alpha, owner: team-a, daily: 1 }
  - { bot: beta }
  - { daily: 1 }
  - { bot: Gamma, daily: -2, monthly: "ten", warnAt: 1.5, action: stop, weekly: 3 }
`),
    ).toEqual([
      "budgets[0]: set exactly one of `bot` and `owner`: whose spend this budget limits",
      "budgets[1]: set `daily`, `monthly` or both: the limit in US dollars",
      "budgets[2]: set exactly one of `bot` and `owner`: whose spend this budget limits",
      expect.stringMatching(/^budgets\[3\]\.bot: expected 1-63 characters/) as string,
      "budgets[3].daily: expected an amount in US dollars above 0",
      "budgets[3].monthly: expected an amount in US dollars",
      "budgets[3].warnAt: expected a share between 0 and 1 (0.8 is 80 %)",
      expect.stringMatching(/^budgets\[3\]\.action: .*"notify"\|"pause"/) as string,
      "budgets[3].weekly: unknown key",
    ]);
    expect(
      issues(`
budgets:
  - { bot: alpha, daily: 1 }
  - { owner: alpha, daily: 1 }
  - { bot: alpha, monthly: 10 }
`),
    ).toEqual([
      "budgets[2]: bot alpha already has a budget (budgets[0]): give both limits in one entry",
    ]);
  });
});
