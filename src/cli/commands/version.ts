import type { Command } from "commander";
import { CLAWOPS_VERSION } from "../../core/version.js";
import { act } from "../act.js";
import type { CommandOptions } from "../context.js";
import { EXIT, emit } from "../output.js";

export function registerVersion(program: Command) {
  program
    .command("version")
    .description("print clawops's version and its runtime")
    .option("--json", "print JSON")
    .action(
      act(async (options: CommandOptions) => {
        const info = {
          clawops: CLAWOPS_VERSION,
          node: process.versions.node,
          platform: `${process.platform}-${process.arch}`,
        };
        emit(options, info, (i) => `clawops ${i.clawops} (node ${i.node}, ${i.platform})`);
        return EXIT.ok;
      }),
    );
}
