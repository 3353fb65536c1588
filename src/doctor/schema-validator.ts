import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonPath } from "../core/finding.js";

/** One way a config breaks the installed OpenClaw's JSON Schema. */
export interface SchemaIssue {
  path: JsonPath;
  message: string;
  /** `unknown-key`, `type`, `enum`, ... (ajv's keyword, renamed where it helps). */
  kind: string;
}

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, Record<string, unknown>>;
  additionalProperties?: unknown;
};

/**
 * Validates configs against OpenClaw's config schema (draft-07, ~2.4 MB).
 * Compiling all of it takes ~2.5 s, so each top-level section is compiled
 * the first time a config uses it (gateway ~0.1 s, channels ~0.9 s) and kept.
 */
export class SchemaValidator {
  private readonly ajv = new Ajv({
    allErrors: true,
    strict: false,
    logger: false,
    // Formats (uri, email, ...) are OpenClaw's runtime's business; shapes and keys are ours.
    validateFormats: false,
  });
  private readonly sections = new Map<string, ValidateFunction>();
  private readonly schema: JsonSchema;

  constructor(
    /** Taken over, not copied (~2.4 MB): its embedded schemas get an `$id`. */
    schema: Record<string, unknown>,
    /** The OpenClaw version the schema came from. */
    readonly version: string | null,
  ) {
    this.schema = giveEmbeddedSchemasAnId(schema) as JsonSchema;
  }

  validate(config: Record<string, unknown>): SchemaIssue[] {
    const issues: SchemaIssue[] = [];
    const known = this.schema.properties ?? {};
    for (const [key, value] of Object.entries(config)) {
      const section = Object.hasOwn(known, key) ? known[key] : undefined;
      if (!section) {
        if (this.schema.additionalProperties === false)
          issues.push({ path: [key], message: "unknown key", kind: "unknown-key" });
        continue;
      }
      const validate = this.section(key, section);
      if (!validate(value)) issues.push(...toIssues([key], validate.errors ?? []));
    }
    return issues;
  }

  private section(key: string, schema: Record<string, unknown>): ValidateFunction {
    let validate = this.sections.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.sections.set(key, validate);
    }
    return validate;
  }
}

/**
 * Plugin schemas are embedded with their own `$defs` and `#/$defs/...` refs;
 * an `$id` on each makes those refs resolve inside the embedded schema.
 */
function giveEmbeddedSchemasAnId(schema: unknown): unknown {
  let count = 0;
  const visit = (node: unknown, nested: boolean) => {
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    if (nested && record.$defs && record.$id === undefined)
      record.$id = `urn:clawops:openclaw-schema:${count++}`;
    for (const child of Object.values(record)) visit(child, true);
  };
  visit(schema, false);
  return schema;
}

/**
 * Turns ajv's errors into one issue per problem: the branches of a failed
 * `anyOf`/`oneOf` collapse into the branch that got furthest, and an unknown
 * key names the key itself.
 */
function toIssues(prefix: JsonPath, errors: readonly ErrorObject[]): SchemaIssue[] {
  const alternatives = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const insideAlternative = (e: ErrorObject) =>
    alternatives.some((a) => a !== e && e.schemaPath.startsWith(`${a.schemaPath}/`));
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  const push = (issue: SchemaIssue) => {
    const key = `${issue.path.join("\u0000")}|${issue.message}`;
    if (!seen.has(key)) issues.push(issue);
    seen.add(key);
  };
  for (const error of errors) {
    if (insideAlternative(error)) continue;
    if (error.keyword === "anyOf" || error.keyword === "oneOf") {
      const branches = errors.filter((e) => e.schemaPath.startsWith(`${error.schemaPath}/`));
      const deepest = branches.sort((a, b) => depth(b) - depth(a))[0];
      const path = [...prefix, ...pointerToPath(error.instancePath)];
      if (deepest && depth(deepest) > depth(error)) push(describe(prefix, deepest));
      else push({ path, message: "does not match any of the allowed forms", kind: "anyOf" });
      continue;
    }
    push(describe(prefix, error));
  }
  return issues;
}

function describe(prefix: JsonPath, error: ErrorObject): SchemaIssue {
  const path = [...prefix, ...pointerToPath(error.instancePath)];
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties":
      return {
        path: [...path, String(params.additionalProperty)],
        message: "unknown key",
        kind: "unknown-key",
      };
    case "required":
      return {
        path: [...path, String(params.missingProperty)],
        message: "is required",
        kind: "required",
      };
    case "enum":
      return {
        path,
        message: `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
        kind: "enum",
      };
    case "const":
      return { path, message: `expected ${JSON.stringify(params.allowedValue)}`, kind: "const" };
    case "type":
      return { path, message: `expected ${String(params.type)}`, kind: "type" };
    default:
      return { path, message: error.message ?? error.keyword, kind: error.keyword };
  }
}

function depth(error: ErrorObject): number {
  return error.instancePath.split("/").length;
}

/** `/agents/list/0` -> `["agents", "list", 0]` (JSON pointer unescaped). */
function pointerToPath(pointer: string): JsonPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
