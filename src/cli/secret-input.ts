import { OpsError } from "../core/errors.js";

/**
 * A secret from stdin, never from argv (argv shows in `ps` and shell
 * history). One trailing newline is dropped: `echo` and here-strings add
 * one, and a secret never ends with one on purpose. More than `maxBytes`
 * is refused unread. On a terminal: `prompt` is asked, the typing not echoed
 * (refused when there is no prompt: what is typed would be echoed).
 */
export async function readSecret(options: {
  what: string;
  maxBytes: number;
  /** How to pipe it in, for the terminal's refusal. */
  usage: string;
  prompt?: string;
}): Promise<string> {
  if (process.stdin.isTTY) {
    if (!options.prompt)
      throw new OpsError(
        "USAGE",
        `${options.what} is read from stdin, not from a terminal: ${options.usage}`,
      );
    return promptHidden(options.prompt);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    // A trailing newline may come on top of the largest value.
    if (size > options.maxBytes + 2) {
      throw new OpsError(
        "VALIDATION",
        `${options.what} on stdin is larger than ${Math.round(options.maxBytes / 1024)} KiB`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Reads one line from the terminal in raw mode, echoing nothing; Ctrl-C aborts. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = "";
    const done = (error?: OpsError) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003") return done(new OpsError("USAGE", "cancelled"));
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.on("data", onData);
  });
}
