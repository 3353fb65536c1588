import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Task } from "../src/core/task.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import {
  chromiumAvailable,
  launchBrowser,
  addUsers,
  collectPageErrors,
} from "./helpers/browser.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";
import { registerSecret } from "./helpers/witness.js";

const PASSWORD = registerSecret(`pw-${randomBytes(12).toString("hex")}`, "board password");
const SHOTS = process.env.TEST_SCREENSHOTS ?? path.join(tmpdir(), "clawops-screenshots");
const PRICE = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

/**
 * Mission Control's board and approvals in Chromium, on a real `clawops up`
 * with one real gateway whose exec policy asks and whose bot is kept in the
 * loop: an operator dispatches a task from the board and watches it reach
 * Review with its cost; a task whose agent wants to run a command waits on
 * the Approvals page until the operator allows it, then completes; a viewer
 * sees neither the form nor a button, and the API refuses the viewer anyway.
 */
describe.runIf(chromiumAvailable() && gatewayRuntimeAvailable())(
  "the board and approvals in Chromium",
  () => {
    let llm: FakeLlm;
    let up: Supervised;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    const errors: string[] = [];

    beforeAll(async () => {
      llm = await startFakeLlm();
      up = await upWithGateway({
        prefix: "clawops-board-",
        bot: "alpha",
        llmBaseUrl: llm.baseUrl,
        modelCost: PRICE,
        editConfig: (config) => Object.assign(config, { tools: { exec: { mode: "ask" } } }),
        clawops: {
          approvals: {
            bots: { alpha: "in-the-loop" },
            tasks: [{ prompt: "*deploy*", decision: "ask", reason: "deploys need a second look" }],
          },
        },
      });
      await addUsers(
        up.dir,
        [
          ["olga", "operator"],
          ["vera", "viewer"],
        ],
        PASSWORD,
      );
      browser = await launchBrowser();
      page = await browser.context.newPage();
      collectPageErrors(page, errors);
      mkdirSync(SHOTS, { recursive: true });
      console.log(`screenshots: ${SHOTS}`);
    }, GATEWAY_HOOK_TIMEOUT);

    afterAll(async () => {
      await browser?.close();
      await up?.close();
      await llm?.close();
    });

    const shoot = async (name: string) => {
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    };
    const logIn = async (name: string) => {
      await page.context().clearCookies();
      await page.goto(up.daemon()!.url);
      await page.fill("#name", name);
      await page.fill("#password", PASSWORD);
      await page.click("button[type=submit]");
      await page.locator('tr[data-bot="alpha"]').waitFor();
    };

    it("dispatches a task from the board and shows it in Review with its cost, live", async () => {
      await logIn("olga");
      await page.click("nav.pages >> text=Tasks");
      await page.locator(".board").waitFor();
      llm.enqueue({ text: "Report written: all green." });
      await page.click(".new-task summary");
      await page.fill(".new-task input[name=bot]", "alpha");
      await page.fill(".new-task input[name=title]", "Write the report");
      await page.fill(".new-task textarea[name=prompt]", "Write the morning report.");
      await page.click(".new-task button[type=submit]");
      const card = page.locator('section[aria-label="Review"] .card', {
        hasText: "Write the report",
      });
      await card.waitFor({ timeout: 120_000 });
      expect(await card.textContent()).toContain("succeeded");
      expect(await card.textContent()).toMatch(/\$0\.\d{4} · \d+ tokens/);
      expect(await card.locator("button").allTextContents()).toEqual(["→ Done", "→ Inbox"]);
      await card.locator("button", { hasText: "→ Done" }).click();
      await page
        .locator('section[aria-label="Done"] .card', { hasText: "Write the report" })
        .waitFor();
      await page.locator("table.agents td", { hasText: "100 %" }).waitFor();
      await shoot("board");
    });

    it("holds a gated task in the inbox, on the board and the Approvals page, until approved", async () => {
      llm.enqueue({ text: "Deployed." });
      const created = await up.api("/tasks", {
        method: "POST",
        headers: { "content-type": "application/json", "x-clawops-client": "test" },
        body: JSON.stringify({
          bot: "alpha",
          title: "Deploy the docs",
          prompt: "Deploy the docs.",
        }),
      });
      expect(created.status).toBe(201);
      const { task } = (await created.json()) as { task: Task };
      const card = page.locator(`.card[data-task="${task.id}"]`);
      await page.click("nav.pages >> text=Tasks");
      await page
        .locator(`section[aria-label="Inbox"] .card.gated[data-task="${task.id}"]`)
        .waitFor();
      expect(await card.textContent()).toContain(
        "awaiting approval (rule 1: deploys need a second look)",
      );
      // Only a decision moves it: no "→ Assigned" on a gated card.
      expect(await card.locator("button").allTextContents()).toEqual(["Approve", "Deny"]);
      await page.click("nav.pages >> text=Approvals");
      const gated = page.locator(`.approval[data-task="${task.id}"]`);
      await gated.waitFor();
      expect(await gated.textContent()).toContain("Deploy the docs.");
      await shoot("approvals-task");
      await gated.locator("button", { hasText: "Approve" }).click();
      await page.locator(".empty", { hasText: "No task waits for approval." }).waitFor();
      await page.click("nav.pages >> text=Tasks");
      await page
        .locator(`section[aria-label="Review"] .card[data-task="${task.id}"]`)
        .waitFor({ timeout: 120_000 });
      const decided = await up.json<{ task: Task }>(["task", "show", task.id]);
      expect(decided.task.gate?.state).toBe("approved");
      expect(decided.task.gate?.decidedBy).toMatch(/^user:olga#/);
      expect(errors).toEqual([]);
    });

    it("holds a task's exec on the Approvals page until the operator allows it", async () => {
      llm.enqueue(
        { toolCall: { name: "exec", arguments: { command: "echo from-the-board" } } },
        { text: "Ran it." },
      );
      const created = await up.api("/tasks", {
        method: "POST",
        headers: { "content-type": "application/json", "x-clawops-client": "test" },
        body: JSON.stringify({ bot: "alpha", title: "Run a command", prompt: "Run it." }),
      });
      expect(created.status).toBe(201);
      const { task } = (await created.json()) as { task: Task };
      await page.click("nav.pages >> text=Approvals");
      const request = page.locator(".approval", { hasText: "echo from-the-board" });
      await request.waitFor({ timeout: 60_000 });
      expect(await request.textContent()).toContain("policy: ask (autonomy in-the-loop)");
      await shoot("approvals");
      await request.locator("button", { hasText: "Allow once" }).click();
      await page.locator(".empty", { hasText: "Nothing waits for a decision." }).waitFor();
      await page.click("nav.pages >> text=Tasks");
      await page
        .locator(`section[aria-label="Review"] .card[data-task="${task.id}"]`)
        .waitFor({ timeout: 120_000 });
      expect(JSON.stringify(llm.requests.at(-1)?.body)).toContain("from-the-board");
    });

    it("shows a viewer the board and the approvals without a form or a button", async () => {
      llm.enqueue(
        { toolCall: { name: "exec", arguments: { command: "echo viewer-sees" } } },
        {
          text: "Done.",
        },
      );
      await up.api("/tasks", {
        method: "POST",
        headers: { "content-type": "application/json", "x-clawops-client": "test" },
        body: JSON.stringify({ bot: "alpha", prompt: "Run it again." }),
      });
      await logIn("vera");
      await page.goto(`${up.daemon()!.url}/#/approvals`);
      const request = page.locator(".approval", { hasText: "echo viewer-sees" });
      await request.waitFor({ timeout: 60_000 });
      expect(await request.locator("button").count()).toBe(0);
      await page.goto(`${up.daemon()!.url}/#/tasks`);
      await page.locator(".card").first().waitFor();
      expect(await page.locator(".new-task").count()).toBe(0);
      expect(await page.locator(".card button").count()).toBe(0);
      // The API refuses the viewer anyway, with the login's own cookie and CSRF token.
      const refused = await page.evaluate(async () => {
        const answer = await fetch("/api/v1/approvals", { credentials: "same-origin" });
        const { approvals } = (await answer.json()) as { approvals: { bot: string; id: string }[] };
        const first = approvals[0]!;
        const decided = await fetch(`/api/v1/bots/${first.bot}/approvals/${first.id}`, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "content-type": "application/json",
            "x-clawops-client": "web",
            "x-csrf-token":
              (
                globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }
              ).sessionStorage.getItem("clawops.csrf") ?? "",
          },
          body: JSON.stringify({ decision: "allow-once" }),
        });
        return decided.status;
      });
      expect(refused).toBe(403);
      // Denied by the operator's CLI so the gateway's turn ends.
      const pending = await up.json<{ approvals: { id: string }[] }>(["approvals"]);
      for (const a of pending.approvals) await up.cli(["deny", "alpha", a.id]);
      expect(errors).toEqual([]);
    });
  },
);
