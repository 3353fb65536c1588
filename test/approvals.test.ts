import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PendingApproval } from "../src/approvals/service.js";
import type { OpsEvent } from "../src/core/events.js";
import { sleep } from "../src/core/time.js";
import { type FakeLlm, startFakeLlm } from "./harness/fake-llm.js";
import { type FakeTelegram, startFakeTelegram } from "./harness/fake-telegram.js";
import { GATEWAY_HOOK_TIMEOUT, gatewayRuntimeAvailable } from "./harness/gateway.js";
import { type Supervised, upWithGateway } from "./helpers/supervised.js";

const CHAT = 5151;

/**
 * OpenClaw's exec approvals through clawops (issue 17), on a real gateway
 * whose exec policy asks (`tools.exec.mode: ask`) and a bot kept "in the
 * loop": an exec the agent wants waits on the gateway, shows in the API and
 * the CLI and on Telegram with buttons; a tap on "Allow once" lets it run
 * (its output reaches the transcript); a rule denies `rm *` at once; every
 * decision is an `approval.resolved` event naming who decided.
 */
describe.runIf(gatewayRuntimeAvailable())("exec approvals on a real gateway", () => {
  let llm: FakeLlm;
  let telegram: FakeTelegram;
  let setup: Supervised;

  const json = <T>(args: string[]) => setup.json<T>(args);
  const pending = async () =>
    (await json<{ approvals: PendingApproval[] }>(["approvals"])).approvals;
  async function waitForPending(command: string): Promise<PendingApproval> {
    for (let i = 0; i < 120; i += 1) {
      const found = (await pending()).find((a) => a.command === command);
      if (found) return found;
      await sleep(250);
    }
    throw new Error(`no approval for ${command}: ${JSON.stringify(await pending())}`);
  }
  const resolvedEvents = async () =>
    (await json<{ events: OpsEvent[] }>(["events", "--type", "approval.resolved", "--limit", "50"]))
      .events;
  /** A chat turn whose model first calls exec with `command`, then answers `text`. */
  async function chatWithExec(command: string, session: string) {
    llm.enqueue({ toolCall: { name: "exec", arguments: { command } } }, { text: "done" });
    return setup.cli(["chat", "alpha", "Run it.", "--session", session, "--timeout", "120s"]);
  }

  beforeAll(async () => {
    llm = await startFakeLlm();
    telegram = await startFakeTelegram();
    setup = await upWithGateway({
      prefix: "clawops-approvals-",
      bot: "alpha",
      llmBaseUrl: llm.baseUrl,
      editConfig: (config) => Object.assign(config, { tools: { exec: { mode: "ask" } } }),
      clawops: {
        approvals: {
          bots: { alpha: "in-the-loop" },
          rules: [{ command: "rm *", decision: "deny", reason: "nothing is deleted unattended" }],
        },
        notify: {
          notifiers: [
            { type: "telegram", chatIds: [CHAT], apiRoot: telegram.apiRoot, pollTimeout: "1s" },
          ],
        },
      },
      env: { CLAWOPS_TELEGRAM_TOKEN: telegram.token },
    });
  }, GATEWAY_HOOK_TIMEOUT);

  afterAll(async () => {
    await setup?.close();
    await telegram?.close();
    await llm?.close();
  });

  afterEach((context) => {
    if (context.task.result?.state === "fail")
      console.error(setup.daemon()?.output().split("\n").slice(-60).join("\n"));
  });

  it("holds an exec for a human, asks on Telegram, and runs it once allowed from the button", async () => {
    const since = telegram.calls.length;
    const turn = chatWithExec("echo approved-by-a-human", "agent:main:approve");
    const approval = await waitForPending("echo approved-by-a-human");
    expect(approval).toMatchObject({
      bot: "alpha",
      host: "gateway",
      policy: { decision: "ask", by: "autonomy in-the-loop" },
    });

    const asked = await telegram.waitForCall(
      "sendMessage",
      (params, call) =>
        call.seq >= since && String(params.text).includes("alpha asks to run a command"),
      30_000,
    );
    expect(String(asked.params.text)).toContain("echo approved-by-a-human");
    const buttons = (
      asked.params.reply_markup as { inline_keyboard: { callback_data: string }[][] }
    ).inline_keyboard.flat();
    expect(buttons.map((b) => b.callback_data)).toEqual([
      `approve:alpha:${approval.id.slice(0, 12)}`,
      `deny:alpha:${approval.id.slice(0, 12)}`,
    ]);

    const tapped = telegram.calls.length;
    telegram.pushCallback(CHAT, buttons[0]!.callback_data);
    await telegram.waitForCall(
      "sendMessage",
      (params, call) => call.seq >= tapped && String(params.text).startsWith("✅ Allowed once"),
      15_000,
    );
    const result = await turn;
    expect(result.code, result.stderr).toBe(0);
    // The command ran: its output went back to the model in the next request.
    expect(JSON.stringify(llm.requests.at(-1)?.body)).toContain("approved-by-a-human");
    expect(await pending()).toEqual([]);
    const decided = (await resolvedEvents()).find((e) => e.data.id === approval.id);
    expect(decided).toMatchObject({
      actor: `telegram:${CHAT}`,
      data: { decision: "allow-once", command: "echo approved-by-a-human" },
    });
  });

  it("denies by rule at once, and takes a human's denial from the CLI", async () => {
    const denied = chatWithExec("rm -rf /tmp/not-there", "agent:main:rule");
    let byRule: OpsEvent | undefined;
    for (let i = 0; i < 120 && !byRule; i += 1) {
      byRule = (await resolvedEvents()).find((e) => e.data.command === "rm -rf /tmp/not-there");
      if (!byRule) await sleep(250);
    }
    expect(byRule).toMatchObject({ actor: "policy rule 1", data: { decision: "deny" } });
    expect((await denied).code).toBe(0);

    const turn = chatWithExec("echo never-runs", "agent:main:deny");
    const approval = await waitForPending("echo never-runs");
    const cli = await setup.cli(["deny", "alpha", approval.id.slice(0, 8)]);
    expect(cli.stdout).toBe(`denied: alpha ${approval.id} echo never-runs\n`);
    expect(cli.code).toBe(0);
    expect((await turn).code).toBe(0);
    expect(JSON.stringify(llm.requests.at(-1)?.body)).not.toContain("never-runs\\n");
    const decided = (await resolvedEvents()).find((e) => e.data.id === approval.id);
    expect(decided?.actor).toMatch(/^cli#/);

    const again = await setup.cli(["approve", "alpha", approval.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no exec waits for approval on alpha");
  });
});
