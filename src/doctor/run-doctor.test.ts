import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_CONFIG_BYTES, runDoctor, selectRules } from "./run-doctor.js";
import { duplicateKeys } from "./rules/duplicate-keys.js";
import { DOCTOR_RULES } from "./rules/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "clawops-run-doctor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(name: string, text: string) {
  const configFile = path.join(dir, name);
  writeFileSync(configFile, text);
  return runDoctor(
    {
      target: { configFile, stateDir: null, bot: null },
      env: {},
      fleet: [],
      portSpacing: 20,
      openclaw: null,
    },
    { rules: [duplicateKeys] },
  );
}

describe("runDoctor on hostile configs", () => {
  it("refuses to read a config above the size bound, saying why", async () => {
    const started = performance.now();
    const report = await check("huge.json", `{"x":"${"a".repeat(MAX_CONFIG_BYTES)}"}`);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(report.findings).toMatchObject([
      { id: "config/too-large", severity: "error", evidence: { maxBytes: MAX_CONFIG_BYTES } },
    ]);
    expect(report.findings[0]!.message).toMatch(
      /is 1\.0 MiB; the doctor reads configs up to 1 MiB/,
    );
  });

  it("groups thousands of findings of one kind into the first ones and a summary", async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `  k: ${i},`);
    const report = await check("dups.json5", `{\n${lines.join("\n")}\n}\n`);
    expect(report.counts.warning).toBe(9_999);
    expect(report.findings).toHaveLength(21);
    expect(report.findings.at(-1)).toMatchObject({
      id: "duplicate-keys",
      evidence: { grouped: 9_979 },
    });
    expect(report.findings.at(-1)!.message).toMatch(/^and 9979 more like the above/);
    expect(JSON.stringify(report).length).toBeLessThan(20_000);
  });

  it("never echoes the content of a file that is not JSON5", async () => {
    const report = await check("shadow", "root:$6$secrethash:19000:0:99999:7:::\n");
    expect(report.findings).toMatchObject([{ id: "config/syntax", line: 1, column: 1 }]);
    const text = JSON.stringify(report);
    expect(text).not.toContain("root:");
    expect(text).not.toMatch(/'r'|secrethash/);
  });
});

describe("selectRules", () => {
  const ids = (options: Parameters<typeof selectRules>[0]) => selectRules(options).map((r) => r.id);

  it("runs every rule by default and only the fast ones before a start", () => {
    expect(ids({})).toEqual(DOCTOR_RULES.map((r) => r.id));
    expect(ids({ speed: "fast" })).toEqual(
      DOCTOR_RULES.filter((r) => r.speed === "fast").map((r) => r.id),
    );
    expect(ids({ speed: "fast" })).not.toContain("openclaw");
  });

  it("judges a config file by the config-scoped rules alone (repair's verdict on a copy)", () => {
    expect(ids({ speed: "fast", scopes: ["config"] })).toEqual([
      "legacy-keys",
      "schema",
      "duplicate-keys",
      "bind-safety",
      "gateway-token",
      "plaintext-secrets",
    ]);
    expect(ids({ scopes: ["openclaw"] })).toEqual(["openclaw"]);
    expect(ids({ scopes: ["state", "fleet"] })).toEqual([
      "provider-credentials",
      "legacy-files",
      "file-permissions",
      "fleet",
    ]);
  });

  it("narrows a caller's own rules the same way", () => {
    expect(ids({ rules: [duplicateKeys], scopes: ["state"] })).toEqual([]);
    expect(ids({ rules: [duplicateKeys], speed: "fast" })).toEqual(["duplicate-keys"]);
  });
});
