import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigDocument, applyConfigEdits } from "./config-document.js";
import { runDoctor } from "./run-doctor.js";
import { SchemaValidator } from "./schema-validator.js";

/**
 * Property-based tests of the config loader: whatever the text, it never
 * throws and never takes 100 ms; it answers with a document or a syntax
 * error with a position, and the doctor with findings. The schema is the one
 * recorded from OpenClaw 2026.9.6 (`openclaw config schema`).
 */

const SCHEMA_FILE = path.resolve(
  import.meta.dirname,
  "../../test/fixtures/openclaw-2026.9.6/samples/cli-config-schema.stdout.gz",
);
const BUDGET_MS = 100;

const keys = fc.oneof(
  fc.constantFrom(
    "gateway",
    "agents",
    "models",
    "providers",
    "port",
    "bind",
    "auth",
    "token",
    "apiKey",
    "list",
    "__proto__",
    "constructor",
    "",
  ),
  fc.string({ maxLength: 8 }),
);
const values = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(keys, tie("value"), { maxKeys: 5 }),
  ),
}));
const configs = fc.dictionary(keys, values.value, { maxKeys: 6 });

/**
 * Runs `work` and fails the property when it costs the budget or more of this
 * process's CPU time (not wall time: real gateways share the machine while the
 * suite runs, and a hang burns CPU either way).
 */
function withinBudget<T>(work: () => T): T {
  const started = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(started);
  const ms = (used.user + used.system) / 1000;
  if (ms >= BUDGET_MS) throw new Error(`took ${ms.toFixed(1)} ms of CPU (budget ${BUDGET_MS} ms)`);
  return result;
}

describe("the config loader under fuzzing", () => {
  let validator: SchemaValidator;
  let dir: string;

  beforeAll(() => {
    const schema = JSON.parse(gunzipSync(readFileSync(SCHEMA_FILE)).toString("utf8")) as Record<
      string,
      unknown
    >;
    validator = new SchemaValidator(schema, "2026.9.6");
    // Compile every section now: compiling is a one-off cost, not the loader's per-file work.
    const everything = Object.fromEntries(
      Object.keys(schema.properties as object).map((key) => [key, {}]),
    );
    validator.validate(everything);
    dir = mkdtempSync(path.join(tmpdir(), "clawops-fuzz-"));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers any text with a document or a positioned syntax error", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: fc.constantFrom(..."{}[]:,\"'/*\n \\abc01-+.eE"), maxLength: 200 }),
    );
    fc.assert(
      fc.property(text, (input) => {
        const parsed = withinBudget(() => ConfigDocument.parse(input));
        if (parsed.ok) expect(typeof parsed.document.value).toBe("object");
        else {
          expect(parsed.message.length).toBeGreaterThan(0);
          if (parsed.position) expect(parsed.position.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("reads what JSON5 wrote, with comments and damage, and the schema always answers", () => {
    fc.assert(
      fc.property(configs, fc.nat(), fc.nat(), (config, cut, where) => {
        const text = `// comment\n${JSON5.stringify(config, null, 2)}\n/* end */`;
        const parsed = withinBudget(() => ConfigDocument.parse(text));
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.document.value).toEqual(JSON5.parse(text));
        const issues = withinBudget(() => validator.validate(parsed.document.value));
        for (const issue of issues) {
          expect(issue.message.length).toBeGreaterThan(0);
          // Every issue points somewhere in the file.
          expect(parsed.document.locate(issue.path).line).toBeGreaterThanOrEqual(1);
        }
        // One character removed somewhere: a document or an error, never a crash.
        const at = where % text.length;
        const damaged = text.slice(0, at) + text.slice(at + 1 + (cut % 3));
        withinBudget(() => ConfigDocument.parse(damaged));
      }),
      { numRuns: 300 },
    );
  });

  it("applies any set or remove edit so that the document says what was asked", () => {
    const edit = fc.record({
      op: fc.constantFrom("set" as const, "remove" as const),
      path: fc.array(fc.constantFrom("gateway", "bind", "auth", "x", "providers"), {
        minLength: 1,
        maxLength: 3,
      }),
      value: fc.oneof(
        fc.string({ maxLength: 10 }),
        fc.integer(),
        fc.boolean(),
        fc.dictionary(fc.constantFrom("a", "b"), fc.integer(), { maxKeys: 2 }),
      ),
    });
    fc.assert(
      fc.property(configs, edit, (config, change) => {
        const text = `{\n  // keep\n${JSON5.stringify(config, null, 2).slice(1)}`;
        const before = ConfigDocument.parse(text);
        if (!before.ok) return;
        let out: string;
        try {
          out = withinBudget(() =>
            applyConfigEdits(text, [
              change.op === "set"
                ? { op: "set", path: change.path, value: change.value }
                : { op: "remove", path: change.path },
            ]),
          );
        } catch (error) {
          // Refused only when a parent on the path is not an object.
          expect(String(error)).toMatch(/its parent is not an object/);
          return;
        }
        const after = ConfigDocument.parse(out);
        expect(after.ok).toBe(true);
        if (!after.ok) return;
        expect(out).toContain("// keep");
        if (change.op === "set") expect(after.document.get(change.path)).toEqual(change.value);
        else if (!after.document.duplicateKeys().length)
          expect(after.document.get(change.path)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("the doctor answers any config with findings, within the budget", async () => {
    const file = path.join(dir, "openclaw.json");
    await fc.assert(
      fc.asyncProperty(configs, async (config) => {
        writeFileSync(file, JSON5.stringify(config, null, 2));
        const started = process.cpuUsage();
        const report = await runDoctor(
          {
            target: { configFile: file, stateDir: null, bot: null },
            env: {},
            fleet: [],
            portSpacing: 20,
            openclaw: null,
          },
          { speed: "fast" },
        );
        const used = process.cpuUsage(started);
        expect((used.user + used.system) / 1000).toBeLessThan(BUDGET_MS);
        expect(Array.isArray(report.findings)).toBe(true);
        for (const finding of report.findings) expect(finding.message.length).toBeGreaterThan(0);
        expect(report.findings.some((f) => f.id === "doctor/rule-failed")).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
