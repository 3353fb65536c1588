import { spawn } from "node:child_process";

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, then stdin is closed (the only way secrets reach a child). */
  input?: string;
  /** The whole process group is killed (TERM, then KILL 2 s later) after this long. */
  timeoutMs: number;
  /** Output kept per stream; beyond it the rest is dropped and `truncated` set. Default 64 MiB. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  /** The child's pid, which is also its process group id. */
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
}

/**
 * Runs `file` with `args` (argv only, never a shell) in its own process group,
 * collecting its output. Resolves with how it ended; rejects only when it
 * could not start (ENOENT, EACCES).
 */
export function runProcess(file: string, args: readonly string[], options: RunOptions) {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const started = performance.now();
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (outBytes + chunk.length > maxBytes) truncated = true;
      else out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (errBytes + chunk.length > maxBytes) truncated = true;
      else err.push(chunk);
      errBytes += chunk.length;
    });
    child.stdin.on("error", () => undefined); // A child that exits without reading its stdin.
    child.stdin.end(options.input ?? "");

    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // Already gone.
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), 2_000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    options.signal?.addEventListener("abort", stop, { once: true });

    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", stop);
      // Helpers the CLI left behind in its group go with it.
      killGroup("SIGKILL");
      resolve({
        pid: child.pid!,
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        durationMs: Math.round(performance.now() - started),
        timedOut,
        truncated,
      });
    });
  });
}
