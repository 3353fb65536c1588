import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page, WebSocket } from "playwright-core";
import {
  PROXY_TRUST_FIX,
  PROXY_UPGRADE_FIX,
  type StepOutcome,
  StepFailure,
  StepSkipped,
  TOKEN_FIX,
} from "./step.js";

/**
 * verify's browser step: a real headless Chromium opens the gateway's
 * Control UI at the public URL (the proxy included), signs in with the
 * token, sends the prompt in verify's own session and waits to see the
 * reply on the page. It fails on what a user's browser would trip over: an
 * origin the gateway does not allow, a WebSocket upgrade the proxy drops, a
 * refused token, uncaught page errors, console errors, failed app requests.
 */

/** A quiet headless Chromium: no GPU, no QUIC, no first-run, update or sync traffic. */
export const HEADLESS_CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

export interface BrowserOptions {
  /** Chromium's binary (Debian's `/usr/bin/chromium` by default). */
  executablePath: string;
  /** Where a failure's screenshot goes (a folder; created when needed). */
  screenshotDir: string;
}

/**
 * Approves and forgets the throw-away browser's device on the gateway. Only
 * for a registered bot: clawops reaches its loopback port with its token.
 */
export interface DevicePairing {
  approve(requestId: string): Promise<void>;
  remove(deviceId: string): Promise<void>;
}

export interface BrowserCheck {
  /** The public base URL, without a trailing slash. */
  base: string;
  token: string;
  name: string;
  /** verify's own session (the chat step's), or null: then the UI only has to connect. */
  sessionKey: string | null;
  prompt: string;
  timeoutMs: number;
  chatTimeoutMs: number;
  pairing?: DevicePairing;
}

/** What the page's gateway connection said: frames are parsed once, here. */
interface Watch {
  connected: boolean;
  /** The last refused `connect`: its code and words. */
  refused: { code: string; message: string; requestId?: string; deviceId?: string } | null;
  upgradeErrors: string[];
  problems: string[];
  ignored: string[];
  replies: Map<string, { state: string; text: string; error?: string }>;
  /** The browser's device, from its `connect`: a loopback gateway pairs it silently. */
  deviceId: string | null;
}

/**
 * A failed request breaks the page when it is one of the app's own files, a
 * server or proxy error, or a refusal; other 4xx answers are the app's
 * optional look-ups (a healthy 2026.9.6 asks for an owner avatar and a
 * workspace icon that do not exist) and are kept as evidence only.
 */
function breaksPage(status: number, resourceType: string): boolean {
  return (
    ["document", "script", "stylesheet"].includes(resourceType) ||
    status >= 500 ||
    status === 401 ||
    status === 403
  );
}

export async function checkBrowser(
  check: BrowserCheck,
  options: BrowserOptions,
): Promise<StepOutcome> {
  await requireControlUi(check.base, check.timeoutMs);
  const chromium = await loadChromium();
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: options.executablePath,
      args: [...HEADLESS_CHROMIUM_ARGS],
    });
  } catch (error) {
    throw new StepFailure(
      `Chromium does not start at ${options.executablePath}: ${firstLine(error)}`,
      "install Chromium (Debian: apt-get install chromium) or name it with --browser PATH; --no-browser skips this step",
    );
  }
  const approved: string[] = [];
  let watch: Watch | null = null;
  try {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 800 } })
    ).newPage();
    watch = watchPage(page);
    try {
      return await drive(page, watch, check, approved);
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error;
      const screenshot = await shoot(page, options.screenshotDir, check.name);
      throw new StepFailure(error.message, error.fix, {
        ...error.evidence,
        ...(screenshot ? { screenshot } : {}),
        ...(watch.problems.length > 0 ? { problems: watch.problems.slice(0, 10) } : {}),
      });
    }
  } finally {
    await browser.close().catch(() => undefined);
    // The throw-away browser leaves no paired device behind, approved by us or silently.
    const devices = new Set([...approved, ...(watch?.deviceId ? [watch.deviceId] : [])]);
    for (const deviceId of devices) await check.pairing?.remove(deviceId).catch(() => undefined);
  }
}

async function drive(
  page: Page,
  watch: Watch,
  check: BrowserCheck,
  approved: string[],
): Promise<StepOutcome> {
  const route = check.sessionKey
    ? `/chat/main/~key/${encodeURIComponent(check.sessionKey.replace(/^agent:main:/, ""))}`
    : "/";
  const started = performance.now();
  await page
    .goto(`${check.base}${route}#token=${encodeURIComponent(check.token)}`, {
      timeout: check.timeoutMs,
    })
    .catch((error: unknown) => {
      throw new StepFailure(
        `the Control UI does not load: ${firstLine(error)}`,
        "is the URL right, and does the proxy forward every path to the gateway?",
      );
    });
  await until(check.timeoutMs, async () => {
    if (watch.connected) return true;
    const refused = watch.refused;
    if (
      refused?.code === "PAIRING_REQUIRED" &&
      check.pairing &&
      refused.requestId &&
      refused.deviceId &&
      !approved.includes(refused.deviceId)
    ) {
      await check.pairing.approve(refused.requestId);
      approved.push(refused.deviceId);
      return false;
    }
    if (refused && !(refused.code === "PAIRING_REQUIRED" && check.pairing))
      throw refusal(refused, check.base);
    if (watch.upgradeErrors.some((e) => /\b403\b/.test(e))) {
      throw new StepFailure(
        `the browser's WebSocket upgrade at ${check.base} failed: ${watch.upgradeErrors[0]}: the gateway refused the proxied upgrade`,
        PROXY_TRUST_FIX,
      );
    }
    if (watch.upgradeErrors.length > 0) {
      throw new StepFailure(
        `the browser's WebSocket upgrade at ${check.base} failed: ${watch.upgradeErrors[0]}`,
        PROXY_UPGRADE_FIX,
      );
    }
    return false;
  }).catch((error: unknown) => {
    if (error instanceof StepFailure) throw error;
    // Through a proxy it does not trust, the gateway answers the page's own requests 403.
    const forbidden = watch.problems.find((p) => p.startsWith("HTTP 403 "));
    if (forbidden) {
      throw new StepFailure(
        `the gateway refused the page's requests (${forbidden}): the Control UI never connected`,
        PROXY_TRUST_FIX,
      );
    }
    throw new StepFailure(
      `the Control UI did not connect to the gateway within ${check.timeoutMs} ms${watch.refused ? ` (last refusal: ${watch.refused.message})` : ""}`,
      "open the URL in a browser and read the page; clawops bot logs BOT has the gateway's side",
    );
  });
  const connectedMs = Math.round(performance.now() - started);
  if (!check.sessionKey)
    return outcome(
      watch,
      `the Control UI connected in ${connectedMs} ms (no chat: the chat step did not pass)`,
      { connectedMs },
    );

  const composer = page.getByPlaceholder(/^Message /).first();
  await composer.fill(check.prompt, { timeout: check.timeoutMs }).catch((error: unknown) => {
    throw new StepFailure(
      `the chat box did not appear: ${firstLine(error)}`,
      "open the URL in a browser and read the page",
    );
  });
  const sent = performance.now();
  await composer.press("Enter");
  const sessionKey = check.sessionKey;
  let reply: { state: string; text: string; error?: string } | undefined;
  await until(check.chatTimeoutMs, () => {
    reply = watch.replies.get(sessionKey);
    return Promise.resolve(reply?.state === "final" || reply?.state === "error");
  }).catch(() => {
    throw new StepFailure(
      `no reply reached the page within ${check.chatTimeoutMs} ms`,
      "the chat step's verdict and clawops bot logs BOT say where the turn stopped",
    );
  });
  if (!reply || reply.state === "error" || reply.text.trim() === "") {
    throw new StepFailure(
      `the turn sent from the page failed: ${reply?.error ?? "an empty reply"}`,
      "see the chat step and clawops bot logs BOT",
    );
  }
  const shown = reply.text.trim().split("\n")[0]!.slice(0, 60);
  await page
    .getByText(shown, { exact: false })
    .last()
    .waitFor({ state: "visible", timeout: check.timeoutMs })
    .catch(() => {
      throw new StepFailure(
        `the reply arrived over the WebSocket but the page does not show it ("${shown}")`,
        "a Control UI problem: see the screenshot and the browser console",
      );
    });
  const replyMs = Math.round(performance.now() - sent);
  return outcome(
    watch,
    `the Control UI connected in ${connectedMs} ms, sent the prompt and showed the reply after ${replyMs} ms`,
    { connectedMs, replyMs, devicesApproved: approved.length },
  );
}

/** Passes only a page without problems; cosmetic failures are kept as evidence. */
function outcome(watch: Watch, detail: string, evidence: Record<string, unknown>): StepOutcome {
  if (watch.problems.length > 0) {
    throw new StepFailure(
      `${watch.problems.length} error${watch.problems.length === 1 ? "" : "s"} on the page: ${watch.problems.slice(0, 3).join("; ")}`,
      "the browser console shows them: a proxy that rewrites or blocks the app's files, or a Control UI problem",
    );
  }
  return {
    detail,
    evidence: {
      ...evidence,
      ...(watch.ignored.length > 0 ? { ignored: watch.ignored.slice(0, 10) } : {}),
    },
  };
}

function watchPage(page: Page): Watch {
  const watch: Watch = {
    connected: false,
    refused: null,
    upgradeErrors: [],
    problems: [],
    ignored: [],
    replies: new Map(),
    deviceId: null,
  };
  page.on("pageerror", (error) => watch.problems.push(`uncaught ${error.message}`));
  page.on("console", (message) => {
    // A failed resource is judged by its type below, from its response.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      watch.problems.push(`console: ${message.text().slice(0, 300)}`);
    }
  });
  page.on("response", (response) => {
    if (response.status() < 400) return;
    const entry = `HTTP ${response.status()} ${new URL(response.url()).pathname}`;
    const broken = breaksPage(response.status(), response.request().resourceType());
    (broken ? watch.problems : watch.ignored).push(entry);
  });
  page.on("websocket", (socket: WebSocket) => {
    socket.on("socketerror", (error) => watch.upgradeErrors.push(String(error)));
    socket.on("framereceived", ({ payload }) => readFrame(watch, String(payload)));
    socket.on("framesent", ({ payload }) => {
      const text = String(payload);
      if (!text.includes('"method":"connect"')) return;
      const id = (JSON.parse(text) as { params?: { device?: { id?: unknown } } }).params?.device
        ?.id;
      if (typeof id === "string") watch.deviceId = id;
    });
  });
  return watch;
}

function readFrame(watch: Watch, text: string) {
  // Only answers and chat events matter; ticks and the rest are left unparsed.
  if (!text.includes('"type":"res"') && !text.includes('"event":"chat"')) return;
  let frame: {
    type?: string;
    ok?: boolean;
    event?: string;
    payload?: Record<string, unknown>;
    error?: { code?: string; message?: string; details?: Record<string, unknown> };
  };
  try {
    frame = JSON.parse(text) as typeof frame;
  } catch {
    return;
  }
  if (frame.type === "res" && frame.ok === true && frame.payload?.type === "hello-ok")
    watch.connected = true;
  if (frame.type === "res" && frame.ok === false && frame.error?.details?.code) {
    const details = frame.error.details;
    const str = (key: string) => (typeof details[key] === "string" ? details[key] : undefined);
    watch.refused = {
      code: String(details.code),
      message: frame.error.message ?? String(details.code),
      requestId: str("requestId"),
      deviceId: str("deviceId"),
    };
  }
  if (frame.type === "event" && frame.event === "chat" && frame.payload) {
    const p = frame.payload as {
      sessionKey?: string;
      state?: string;
      errorMessage?: string;
      message?: { content?: { type?: string; text?: string }[] };
    };
    if (!p.sessionKey || (p.state !== "final" && p.state !== "error")) return;
    const text = (p.message?.content ?? [])
      .filter((c) => c.type === "text")
      .map((c) => c.text ?? "")
      .join("");
    watch.replies.set(p.sessionKey, {
      state: p.state,
      text,
      ...(p.errorMessage ? { error: p.errorMessage } : {}),
    });
  }
}

/** A refused connect in the gateway's words, with the fix for its code. */
function refusal(refused: NonNullable<Watch["refused"]>, base: string): StepFailure {
  const said = `the gateway refused the Control UI: ${refused.message}`;
  const evidence = { code: refused.code };
  switch (refused.code) {
    case "CONTROL_UI_ORIGIN_NOT_ALLOWED":
      return new StepFailure(
        said,
        `add "${new URL(base).origin}" to gateway.controlUi.allowedOrigins in the bot's openclaw.json (OpenClaw restarts itself to apply it)`,
        evidence,
      );
    case "PAIRING_REQUIRED":
      return new StepFailure(
        said,
        `approve the browser on the gateway host (openclaw devices approve ${refused.requestId ?? "<requestId>"}); for a registered bot, clawops verify BOT --url ${base} approves and then removes its own throw-away browser`,
        evidence,
      );
    case "AUTH_TOKEN_MISMATCH":
    case "AUTH_TOKEN_MISSING":
      return new StepFailure(said, TOKEN_FIX, evidence);
    case "PROXY_ATTRIBUTION_REQUIRED":
      return new StepFailure(said, PROXY_TRUST_FIX, evidence);
    default:
      return new StepFailure(
        said,
        "see the gateway's words; clawops bot logs BOT has the rest",
        evidence,
      );
  }
}

/** A gateway with `gateway.controlUi.enabled: false` serves no page at `/`: nothing to open. */
async function requireControlUi(base: string, timeoutMs: number) {
  const response = await fetch(`${base}/`, { signal: AbortSignal.timeout(timeoutMs) }).catch(
    () => null,
  );
  if (response?.status === 404) {
    await response.body?.cancel();
    throw new StepSkipped("the gateway serves no Control UI (gateway.controlUi.enabled is false)");
  }
  await response?.body?.cancel();
}

async function loadChromium() {
  try {
    return (await import("playwright-core")).chromium;
  } catch (error) {
    throw new StepFailure(
      `playwright-core is not installed: ${firstLine(error)}`,
      "reinstall clawops (npm ci); --no-browser skips this step",
    );
  }
}

async function shoot(page: Page, dir: string, name: string): Promise<string | null> {
  try {
    mkdirSync(dir, { recursive: true });
    const file = path.join(
      dir,
      `${name.replace(/[^\w.-]+/g, "_")}-${new Date().toISOString().replace(/[:.]/g, "-")}.png`,
    );
    await page.screenshot({ path: file, timeout: 10_000 });
    return file;
  } catch {
    return null;
  }
}

/** Polls `done` every 100 ms until it says yes; rejects at the deadline. */
async function until(timeoutMs: number, done: () => Promise<boolean>) {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}
