import type { z } from "zod";
import type { Issue } from "./errors.js";

/** Turns zod issues into clawops issues with `a.b[2].c` paths; unknown keys get one issue each. */
export function toIssues(error: z.ZodError, sources?: ReadonlyMap<string, string>): Issue[] {
  const issues: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        issues.push({
          path: formatPath([...issue.path, key]),
          message: "unknown key",
          severity: "error",
        });
      }
      continue;
    }
    const dotted = formatPath(issue.path);
    const env = sources?.get(issue.path.join("."));
    issues.push({
      path: env ? `${dotted} (from ${env})` : dotted,
      message: issue.message,
      severity: "error",
    });
  }
  return issues;
}

/** `["fleet", "bots", 2, "port"]` -> `fleet.bots[2].port`. */
export function formatPath(keys: readonly PropertyKey[]): string {
  let out = "";
  for (const key of keys) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}
