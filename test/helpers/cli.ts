import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "../../src/core/time.js";
import { witnessStores, witnessText } from "./witness.js";

export const CLI = path.resolve(fileURLToPath(import.meta.url), "../../../bin/clawops.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment for a CLI run: the caller's, minus any CLAWOPS_ setting that would leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    // VITEST=true silences the openclaw CLI (it prints nothing): a user's shell never has it.
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("CLAWOPS_") && !k.startsWith("VITEST"),
    ),
  );
  return { ...env, ...extra };
}

/** Runs `clawops ARGS` to completion (argv only, no shell); `input` is written to its stdin. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number; input?: string },
): Promise<CliResult> {
  // `bot start` waits for the gateway's boot, which takes 30 s and more on a loaded 2-core machine.
  return runFile(process.execPath, [CLI, ...args], { timeoutMs: 120_000, ...options }).then(
    (result) => {
      witnessText("printed", commandName(args), `${result.stdout}\n${result.stderr}`);
      return result;
    },
  );
}

/** `clawops bot start`: the command without its operands, which may carry a test's secret. */
function commandName(args: readonly string[]): string {
  const words = args.filter((a) => !a.startsWith("-")).slice(0, 2);
  return ["clawops", ...words.filter((w) => /^[a-z][a-z-]*$/.test(w))].join(" ");
}

/** Runs a program to completion with `cleanEnv`, collecting its output and exit code. */
export function runFile(
  file: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs: number; input?: string },
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: cleanEnv(options.env),
        timeout: options.timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** A temp dir removed by the returned function. */
export function tempDir(prefix = "clawops-test-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  // Retries: a process that is being killed may still be writing into it.
  const remove = () => {
    witnessStores(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  return { dir, remove };
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningDaemon {
  child: ChildProcess;
  url: string;
  output(): string;
  /** The local CLI's credential as a header (read from the file the daemon names at start). */
  auth(): { authorization: string };
  /** `fetch` of `url + path` with the local credential added to `init`'s headers. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `clawops up` and waits until /readyz answers 200. */
export async function startUp(options: {
  cwd: string;
  port: number;
  env?: Record<string, string>;
}): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [CLI, "up", "--json"], {
    cwd: options.cwd,
    env: cleanEnv({ CLAWOPS_HTTP_PORT: String(options.port), ...options.env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      witnessText("printed", "clawops up", output);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`clawops up exited ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`clawops up not ready after 20s:\n${output}`);
    }
    await sleep(100);
  }
  const auth = () => ({ authorization: `Bearer ${localCredential(output)}` });
  return {
    child,
    url,
    output: () => output,
    auth,
    fetch: (target, init = {}) =>
      fetch(`${url}${target}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string> | undefined), ...auth() },
      }),
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The token in the credential file a daemon's `daemon.started` log line names. */
export function localCredential(daemonOutput: string): string {
  const file = /"localCredential":"([^"]+)"/.exec(daemonOutput)?.[1];
  if (!file) throw new Error(`the daemon named no local credential file:\n${daemonOutput}`);
  return readFileSync(file, "utf8").trim();
}

/** This machine's first non-loopback IPv4: the address a "remote" client comes from. */
export function lanAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
  if (!address) throw new Error("no non-loopback IPv4 interface: the remote-client tests need one");
  return address;
}
