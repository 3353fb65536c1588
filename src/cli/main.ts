import { CommanderError } from "commander";
import { EXIT } from "./output.js";
import { buildProgram } from "./program.js";

async function main(argv: string[]): Promise<void> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (error) {
    // Commander already printed its message; usage errors exit 2, help and version 0.
    if (error instanceof CommanderError)
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else throw error;
  }
}

await main(process.argv);
