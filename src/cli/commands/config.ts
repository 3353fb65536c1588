import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { OpsError } from "../../core/errors.js";
import { requireBot } from "../../fleet/registry.js";
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
    .argument("<a>", "a bot, an openclaw.json path, or env:<dev|test|prod> (the rendered template)")
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
  if (spec.includes("/") || /\.json5?$/.test(spec) || existsSync(spec)) {
    return readOpenClawConfig(path.resolve(spec));
  }
  const bot = await withRegistry(options, ({ store }) => requireBot(store, spec));
  return readOpenClawConfig(bot.configPath);
}

function render(a: string, b: string, differences: ConfigDifference[]): string {
  if (differences.length === 0) return `${a} and ${b} are the same`;
  const shown = (value: string | undefined) => value ?? "(absent)";
  return `${table(
    ["PATH", a, b],
    differences.map((d) => [d.path, shown(d.left), shown(d.right)]),
  )}\n${differences.length} difference${differences.length === 1 ? "" : "s"}`;
}
