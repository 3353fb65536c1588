import type { DoctorRule } from "../rule.js";
import { configFinding } from "../rule.js";

/**
 * The config against the JSON Schema of the installed OpenClaw (`openclaw
 * config schema`, cached per version): every unknown key, wrong type and bad
 * value, each with its path. OpenClaw refuses such a config at boot (exit 78).
 */
export const schema: DoctorRule = {
  id: "schema",
  description: "the config matches the installed OpenClaw's JSON Schema",
  speed: "fast",
  scope: "config",
  async check(context) {
    const validator = await context.schema();
    if (!validator) {
      return [
        {
          id: "schema/unchecked",
          severity: "info",
          path: "<root>",
          file: context.target.configFile,
          message:
            "not checked against OpenClaw's schema: the openclaw CLI was not found (set openclaw.bin in clawops.yaml)",
        },
      ];
    }
    return validator.validate(context.config).map((issue) =>
      configFinding(context, issue.path, {
        id: `schema/${issue.kind}`,
        severity: "error",
        message: issue.message,
        evidence: { openclawVersion: validator.version },
      }),
    );
  },
};
