import { writeFileSync } from "node:fs";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { Bot } from "../../core/bot.js";
import { errorMessage } from "../../core/errors.js";
import { createReadinessReport } from "../../readiness/service.js";
import type { ReadinessResult } from "../../readiness/runner.js";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/store.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { EXIT, emit } from "../output.js";
import { renderReadinessMarkdown, renderReadinessText } from "../readiness-render.js";

interface ReadinessOptions extends CommandOptions {
  markdown?: string;
  failUnder?: number;
  only?: string[];
}

/**
 * `clawops readiness`: the scored production-readiness report of the
 * components clawops.yaml declares. Exit 0 when ready (no check failed, or
 * the score reaches `--fail-under`), 1 when not, 2 for bad input.
 */
export function registerReadiness(program: Command) {
  program
    .command("readiness")
    .description(
      "a scored production-readiness report: the store, every bot's gateway, backups and the components declared under readiness.components in clawops.yaml (docs/readiness.md)",
    )
    .option("--json", "print the report as JSON")
    .option("--markdown <file>", "also write the report as Markdown to FILE (stable for diffs)")
    .option(
      "--fail-under <score>",
      "exit 1 when the score is below SCORE (0-100) instead of when any check fails",
      parseScore,
    )
    .option("--only <checks>", "only these check ids or component names (comma-separated)", (v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .action(
      act(async (options: ReadinessOptions) => {
        const loaded = loadCliConfig(options);
        const { config } = loaded;
        let store: Store | null = null;
        let bots: Bot[] = [];
        try {
          store = await openStore(config);
          await store.migrate();
          bots = await store.listBots();
        } catch (error) {
          // Not the command's failure: the store check reports it, with the rest.
          process.stderr.write(`clawops: the store: ${errorMessage(error)}\n`);
        }
        const progress = process.stderr.isTTY && !options.json;
        try {
          const report = await createReadinessReport(
            { config, store, bots, ...(options.only ? { only: options.only } : {}) },
            progress
              ? {
                  onStart: (names: string[]) =>
                    process.stderr.write(`readiness: checking ${names.length} components…`),
                  onResult: (result: ReadinessResult, done: number, total: number) =>
                    process.stderr.write(
                      done === total
                        ? "\r\x1b[2K"
                        : `\r\x1b[2Kreadiness: ${done}/${total} checked (${result.name}: ${result.status}), waiting for the rest…`,
                    ),
                }
              : {},
          );
          if (options.markdown) {
            writeFileSync(path.resolve(options.markdown), renderReadinessMarkdown(report));
          }
          emit(options, report, renderReadinessText);
          const ready =
            options.failUnder === undefined
              ? report.counts.fail === 0
              : report.score >= options.failUnder;
          return ready ? EXIT.ok : EXIT.failure;
        } finally {
          await store?.close();
        }
      }),
    );
}

function parseScore(value: string): number {
  const score = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || score < 0 || score > 100)
    throw new InvalidArgumentError("expected a score from 0 to 100");
  return score;
}
