import type { Finding } from "../../../src/core/finding.js";

/** One line of the config as shown: a key at its depth, with its value when it is a leaf. */
export interface ConfigLine {
  /** The doctor's path notation (`gateway.auth.token`, `models.providers.x.models[0]`). */
  path: string;
  key: string;
  depth: number;
  /** A leaf's value as JSON text; null for an object or array (its children follow). */
  value: string | null;
  findings: Finding[];
}

/** `formatJsonPath` of src/doctor/config-document.ts, one step at a time. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * The config as lines with each doctor finding under the line of its path;
 * findings about no line (the whole file, a file, a path not in the config)
 * come back in `general`.
 */
export function configLines(
  config: Record<string, unknown>,
  findings: readonly Finding[],
): { lines: ConfigLine[]; general: Finding[] } {
  const lines: ConfigLine[] = [];
  const walk = (value: unknown, parent: string, depth: number) => {
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value as Record<string, unknown>);
    for (const [key, child] of entries) {
      const path = childPath(parent, key);
      const container = typeof child === "object" && child !== null;
      lines.push({
        path,
        key: String(key),
        depth,
        value: container ? null : JSON.stringify(child),
        findings: [],
      });
      if (container) walk(child, path, depth + 1);
    }
  };
  walk(config, "", 0);
  const at = new Map(lines.map((line) => [line.path, line]));
  const general: Finding[] = [];
  for (const finding of findings) {
    const line = at.get(finding.path);
    if (line) line.findings.push(finding);
    else general.push(finding);
  }
  return { lines, general };
}
