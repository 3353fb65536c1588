import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RULE_SCOPES } from "../rule.js";
import { DOCTOR_RULES } from "./index.js";

const docs = readFileSync(new URL("../../../docs/doctor.md", import.meta.url), "utf8");

/** docs/doctor.md's table: rule id (without "(slow)") to its scope cell. */
function documentedScopes(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of docs.split("\n")) {
    const match = /^\| `([^`]+)`[^|]*\|\s*([a-z]+)\s*\|/.exec(line);
    if (match) rows.set(match[1]!, match[2]!);
  }
  return rows;
}

/** The registry walked: one list of rules, each declaring what the callers select by. */
describe("doctor rule registry", () => {
  it("gives every rule its own id", () => {
    const ids = DOCTOR_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("declares a known scope and speed for every rule", () => {
    for (const rule of DOCTOR_RULES) {
      expect(RULE_SCOPES, rule.id).toContain(rule.scope);
      expect(["fast", "slow"], rule.id).toContain(rule.speed);
    }
  });

  it("documents every rule in docs/doctor.md with the scope it declares", () => {
    const documented = documentedScopes();
    expect(
      Object.fromEntries(DOCTOR_RULES.map((r) => [r.id, documented.get(r.id) ?? "missing"])),
    ).toEqual(Object.fromEntries(DOCTOR_RULES.map((r) => [r.id, r.scope])));
  });
});
