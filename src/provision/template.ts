import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OpsError } from "../core/errors.js";
import { ConfigDocument, isRecord } from "../doctor/config-document.js";

/** clawops's own template folder (`templates/` in the package). */
export const BUILT_IN_TEMPLATES = path.resolve(
  fileURLToPath(import.meta.url),
  "../../../templates",
);

export const ENVIRONMENTS = ["dev", "test", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export interface TemplateValues {
  name: string;
  port: number;
  stateDir: string;
  env: Environment;
  /** Where `{{env:VAR}}` is looked up (clawops's environment). */
  variables: NodeJS.ProcessEnv;
}

export interface RenderedConfig {
  value: Record<string, unknown>;
  /** The files it came from, for the header and the report. */
  sources: string[];
}

/**
 * Renders an instance config: the template (`openclaw.json5`) deep-merged
 * with the environment's overlay (`overlays/<env>.json5`, optional), then
 * placeholders filled in. Objects merge key by key; arrays and scalars of
 * the overlay replace the template's; `null` in an overlay deletes the key.
 */
export function renderConfig(templateDir: string, values: TemplateValues): RenderedConfig {
  const base = path.join(templateDir, "openclaw.json5");
  const overlay = path.join(templateDir, "overlays", `${values.env}.json5`);
  const sources = [base, ...(existsSync(overlay) ? [overlay] : [])];
  const [template, ...overlays] = sources.map(readJson5);
  const merged = overlays.reduce<Record<string, unknown>>((acc, o) => deepMerge(acc, o), template!);
  const missing = new Set<string>();
  const value = fill(merged, values, missing) as Record<string, unknown>;
  if (missing.size > 0) {
    throw new OpsError(
      "VALIDATION",
      `the template needs environment variables that are not set: ${[...missing].join(", ")}`,
      { details: { missing: [...missing], sources } },
    );
  }
  return { value, sources };
}

function readJson5(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new OpsError("NOT_FOUND", `cannot read template ${file}: ${(error as Error).message}`);
  }
  const parsed = ConfigDocument.parse(text);
  if (!parsed.ok) {
    const at = parsed.position ? `:${parsed.position.line}:${parsed.position.column}` : "";
    throw new OpsError("VALIDATION", `${file}${at}: ${parsed.message}`);
  }
  return parsed.document.value;
}

export function deepMerge(base: Record<string, unknown>, overlay: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    if (value === null) delete out[key];
    else if (isRecord(value) && isRecord(out[key])) out[key] = deepMerge(out[key], value);
    else out[key] = value;
  }
  return out;
}

const PLACEHOLDER = /\{\{\s*(name|port|stateDir|env|env:[A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function fill(value: unknown, values: TemplateValues, missing: Set<string>): unknown {
  if (typeof value === "string") {
    const lookup = (key: string): string | number => {
      if (key.startsWith("env:")) {
        const variable = key.slice(4);
        const found = values.variables[variable];
        if (found === undefined || found === "") missing.add(variable);
        return found ?? "";
      }
      return values[key as "name" | "port" | "stateDir" | "env"];
    };
    const whole = /^\{\{\s*([^}]+?)\s*\}\}$/.exec(value);
    if (whole && PLACEHOLDER.test(value)) {
      PLACEHOLDER.lastIndex = 0;
      return lookup(whole[1]!);
    }
    PLACEHOLDER.lastIndex = 0;
    return value.replace(PLACEHOLDER, (_, key: string) => String(lookup(key)));
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, values, missing));
  if (isRecord(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, values, missing)]));
  return value;
}
