import { formatJsonPath } from "../config-document.js";
import type { DoctorRule } from "../rule.js";

/** A key written twice: OpenClaw silently uses the last one, which is rarely what was meant. */
export const duplicateKeys: DoctorRule = {
  id: "duplicate-keys",
  description: "no key is written twice in one object",
  speed: "fast",
  scope: "config",
  check(context) {
    return context.document.duplicateKeys().map(({ path, position }) => ({
      id: "duplicate-keys",
      severity: "warning" as const,
      path: formatJsonPath(path),
      file: context.target.configFile,
      line: position.line,
      column: position.column,
      message: `${formatJsonPath(path)} is written more than once; only this last one counts`,
      fix: { kind: "manual" as const, summary: "delete the copies you do not mean" },
    }));
  },
};
