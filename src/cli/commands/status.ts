import type { Command } from "commander";
import type { Bot } from "../../core/bot.js";
import { formatDurationMs } from "../../core/duration.js";
import { OpsError, errorMessage } from "../../core/errors.js";
import type { Readiness } from "../../daemon/readiness.js";
import { act } from "../act.js";
import { type CommandOptions, loadCliConfig } from "../context.js";
import { EXIT, emit, table } from "../output.js";

interface StatusAnswer {
  daemon: {
    version: string;
    pid: number;
    uptimeMs: number;
    dataDir: string;
    http: string;
    store: { dialect: string; location: string };
  };
  readiness: Readiness;
  bots: Bot[];
}

export function registerStatus(program: Command) {
  program
    .command("status")
    .description("show the running daemon and its fleet")
    .option("--json", "print JSON")
    .action(
      act(async (merged: CommandOptions) => {
        const { config } = loadCliConfig(merged);
        const base = `http://${config.http.host}:${config.http.port}`;
        const answer = await fetchJson<StatusAnswer>(`${base}/api/v1/status`);
        emit(merged, answer, renderStatus);
        return answer.readiness.ready ? EXIT.ok : EXIT.failure;
      }),
    );
}

/** GETs a daemon endpoint; a daemon that does not answer is `DAEMON_NOT_RUNNING`, said plainly. */
export async function fetchJson<T>(url: string, timeoutMs = 5_000): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? errorMessage(error);
    throw new OpsError(
      "DAEMON_NOT_RUNNING",
      `the daemon is not running: nothing answers at ${new URL(url).origin} (${cause}); start it with "clawops up"`,
    );
  }
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!response.ok && (!body || body.error)) {
    throw new OpsError(
      "UNAVAILABLE",
      `daemon answered ${response.status}: ${body?.error?.message ?? "no body"}`,
    );
  }
  return body as T;
}

function renderStatus(s: StatusAnswer): string {
  const d = s.daemon;
  const lines = [
    `clawops ${d.version}  pid ${d.pid}  up ${formatDurationMs(d.uptimeMs)}  ${d.http}`,
    `store    ${d.store.dialect} ${d.store.location}`,
    `ready    ${s.readiness.ready ? "yes" : `no: ${s.readiness.failing.map((f) => `${f.part} (${f.reason})`).join(", ")}`}`,
    "",
  ];
  if (s.bots.length === 0) lines.push('no bots registered (add one with "clawops bot add NAME")');
  else {
    lines.push(
      table(
        ["BOT", "PORT", "DRIVER", "DESIRED", "STATE DIR"],
        s.bots.map((b) => [b.name, String(b.port), b.driver, b.desiredState, b.stateDir]),
      ),
    );
  }
  return lines.join("\n");
}
