import type { Command } from "commander";
import type { CommandOptions } from "./context.js";
import { reportError } from "./output.js";

/**
 * Wraps a command's work: merges the program's and the command's options,
 * maps any error to its message and exit code, and sets `process.exitCode`.
 * Arguments come as commander gives them: a variadic one as an array.
 */
export function act<O extends CommandOptions, A extends unknown[]>(
  work: (options: O, ...args: A) => Promise<number>,
) {
  return async (...raw: unknown[]): Promise<void> => {
    const command = raw.at(-1) as Command;
    const options = command.optsWithGlobals<O>();
    const args = raw.slice(0, -2) as A;
    try {
      process.exitCode = await work(options, ...args);
    } catch (error) {
      process.exitCode = reportError(error, options);
    }
  };
}
