import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { OpsError } from "../../core/errors.js";
import { readOpenClawConfig } from "../../gateway/openclaw-config.js";
import { type ConfigDifference, diffConfigs } from "../../provision/config-diff.js";
import {
  BUILT_IN_TEMPLATES,
  ENVIRONMENTS,
  type Environment,
  renderConfig,
} from "../../provision/template.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig, withRegistry } from "../context.js";
import { EXIT, emit, table } from "../output.js";

/** `clawops config diff A B`: drift between two instances or environments, secrets masked. */
export function registerConfigCommands(program: Command) {
  const config = program.command("config").description("gateway configs across the fleet");
  config
    .command("diff")
    .argument(
      "<a>",
      "bot:NAME, file:PATH, env:<dev|test|prod> (the rendered template), or a bare bot name or path",
    )
    .argument("<b>", "the same kinds")
    .description(
      "show where two gateway configs differ, leaf by leaf, secrets masked (exit 1 when they differ)",
    )
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions, a: string, b: string) => {
        const [left, right] = [await load(options, a), await load(options, b)];
        const differences = diffConfigs(left, right);
        emit(options, { a, b, differences }, () => render(a, b, differences));
        return differences.length > 0 ? EXIT.failure : EXIT.ok;
      }),
    );
}

async function load(options: CommandOptions, spec: string): Promise<Record<string, unknown>> {
  const env = /^env:(.+)$/.exec(spec)?.[1];
  if (env !== undefined) {
    if (!ENVIRONMENTS.includes(env as Environment))
      throw new OpsError(
        "USAGE",
        `unknown environment "${env}" (expected ${ENVIRONMENTS.join(", ")})`,
      );
    const { config } = loadCliConfig(options);
    return renderConfig(config.provision.templateDir ?? BUILT_IN_TEMPLATES, {
      name: "<bot>",
      port: 0,
      stateDir: "<stateDir>",
      env: env as Environment,
      variables: process.env,
    }).value;
  }
  const prefixed = /^(bot|file):(.+)$/.exec(spec);
  if (prefixed?.[1] === "file") return readOpenClawConfig(path.resolve(prefixed[2]!));
  const name = prefixed?.[1] === "bot" ? prefixed[2]! : spec;
  const bot = await withRegistry(options, ({ store }) => store.findBot(name));
  if (prefixed?.[1] === "bot") {
    if (!bot) throw new OpsError("NOT_FOUND", `no bot named "${name}"`);
    return readOpenClawConfig(bot.configPath);
  }
  // A bare word could be either: say so rather than pick one silently.
  const looksLikeFile = spec.includes("/") || /\.json5?$/.test(spec) || existsSync(spec);
  if (bot && looksLikeFile) {
    throw new OpsError(
      "USAGE",
      `"${spec}" is both a bot and a path here: write bot:${spec} or file:${spec}`,
    );
  }
  if (bot) return readOpenClawConfig(bot.configPath);
  if (looksLikeFile) return readOpenClawConfig(path.resolve(spec));
  throw new OpsError(
    "USAGE",
    `"${spec}" is neither a registered bot nor a file (write bot:NAME, file:PATH or env:ENV)`,
  );
}

function render(a: string, b: string, differences: ConfigDifference[]): string {
  if (differences.length === 0) return `${a} and ${b} are the same`;
  const shown = (value: string | undefined) => value ?? "(absent)";
  return `${table(
    ["PATH", a, b],
    differences.map((d) => [d.path, shown(d.left), shown(d.right)]),
  )}\n${differences.length} difference${differences.length === 1 ? "" : "s"}`;
}
