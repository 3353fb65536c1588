import { readFileSync } from "node:fs";
import path from "node:path";
import { errorMessage } from "../core/errors.js";
import type { OpenClawCli } from "../gateway/openclaw-cli.js";
import { writeFileAtomic } from "../system/files.js";
import type { SchemaValidator } from "./schema-validator.js";

/** `openclaw doctor --lint --json`, as the doctor merges it. */
export interface OpenClawLint {
  ok: boolean;
  findings: {
    checkId: string;
    severity: string;
    message: string;
    path?: string;
    /** What the finding is about when several share a checkId (`gateway.bind_no_auth`). */
    requirement?: string;
    fixHint?: string;
  }[];
  durationMs: number;
}

/**
 * What the doctor asks the installed OpenClaw: its config schema (cached on
 * disk per version, it takes ~2 s to print and ~2.4 MB) and its own lint.
 * One instance per CLI; validators stay compiled for the daemon's lifetime.
 */
export class OpenClawFacts {
  private validator: Promise<SchemaValidator> | null = null;

  constructor(
    readonly cli: OpenClawCli,
    /** Where schemas are cached: `<dataDir>/cache`. */
    private readonly cacheDir: string,
  ) {}

  get version(): string | null {
    return this.cli.command.version;
  }

  /** The compiled schema validator; rejects when the CLI cannot print its schema. */
  schema(instanceEnv: NodeJS.ProcessEnv): Promise<SchemaValidator> {
    this.validator ??= this.loadSchema(instanceEnv).catch((error: unknown) => {
      this.validator = null;
      throw error;
    });
    return this.validator;
  }

  /** `openclaw doctor --lint --json` for one instance (read-only; ~9 s). */
  async lint(instanceEnv: NodeJS.ProcessEnv): Promise<OpenClawLint> {
    const result = await this.cli.doctorLint({ env: instanceEnv });
    return { ok: result.ok, findings: result.findings, durationMs: result.durationMs };
  }

  private async loadSchema(instanceEnv: NodeJS.ProcessEnv): Promise<SchemaValidator> {
    // ajv (~1 MB of heap) is loaded by the first check that has a schema to compile.
    const { SchemaValidator } = await import("./schema-validator.js");
    const version = this.version;
    const file = version
      ? path.join(this.cacheDir, `openclaw-${version}-config-schema.json`)
      : null;
    if (file) {
      try {
        return new SchemaValidator(
          JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>,
          version,
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" && !(error instanceof SyntaxError))
          throw new Error(`cannot read the cached schema ${file}: ${errorMessage(error)}`);
      }
    }
    const schema = await this.cli.configSchema({ env: instanceEnv });
    const { exitCode: _exit, durationMs: _ms, ...document } = schema;
    if (file) writeFileAtomic(file, JSON.stringify(document));
    return new SchemaValidator(document, version);
  }
}
