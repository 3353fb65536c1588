import { describe, expect, it } from "vitest";
import {
  approvalsConfigSchema,
  autonomyOf,
  globMatches,
  looksChained,
  resolvePolicy,
  resolveTaskGate,
} from "./policy.js";

const config = approvalsConfigSchema.parse({
  autonomy: "on-the-loop",
  bots: { careful: "in-the-loop", free: "autonomous" },
  rules: [
    { command: "rm *", decision: "deny", reason: "nothing is deleted unattended" },
    { bot: "careful", command: "echo *", decision: "allow" },
    { host: "node", decision: "ask" },
  ],
});
const exec = (command: string, host = "gateway") => ({
  command,
  host,
  chained: looksChained(command),
});

describe("the approval policy", () => {
  it("lets the first matching rule decide, naming it", () => {
    expect(resolvePolicy(config, "careful", exec("rm -rf /tmp/x"))).toEqual({
      decision: "deny",
      by: "rule 1",
      reason: "nothing is deleted unattended",
    });
    expect(resolvePolicy(config, "careful", exec("echo hi"))).toMatchObject({
      decision: "allow",
      by: "rule 2",
      reason: "approvals.rules[1] says allow",
    });
    expect(resolvePolicy(config, "other", exec("ls", "node"))).toMatchObject({ by: "rule 3" });
  });

  it("falls back on the bot's autonomy: on the loop allows, in the loop asks", () => {
    expect(resolvePolicy(config, "other", exec("ls"))).toMatchObject({
      decision: "allow",
      by: "autonomy on-the-loop",
    });
    expect(resolvePolicy(config, "careful", exec("ls"))).toMatchObject({
      decision: "ask",
      by: "autonomy in-the-loop",
    });
    expect(autonomyOf(config, "free")).toBe("autonomous");
    expect(autonomyOf(approvalsConfigSchema.parse({}), "any")).toBe("autonomous");
  });

  it("matches globs on the whole text, with no other special character", () => {
    expect(globMatches("rm *", "rm -rf /")).toBe(true);
    expect(globMatches("rm *", "sudo rm -rf /")).toBe(false);
    expect(globMatches("a?c", "abc")).toBe(true);
    expect(globMatches("a.c", "abc")).toBe(false);
    expect(globMatches("(x)|[y]", "(x)|[y]")).toBe(true);
    expect(globMatches("echo *", "echo a\nrm -rf /")).toBe(true);
  });

  it("never allows chained commands by a rule or by autonomy: a human decides", () => {
    for (const command of [
      "echo a; rm -rf /",
      "echo a && reboot",
      "echo $(id)",
      "echo `id`",
      "echo a\nid",
      "echo a | sh",
    ]) {
      expect(looksChained(command)).toBe(true);
      expect(resolvePolicy(config, "careful", exec(command)).decision).toBe("ask");
      expect(resolvePolicy(config, "other", exec(command)).decision).toBe("ask");
    }
    // A deny rule still denies them.
    expect(resolvePolicy(config, "other", exec("rm x; echo y")).decision).toBe("deny");
    expect(looksChained("echo hello world")).toBe(false);
  });

  it("gates tasks: a gate asked for, then the first matching task rule; never the autonomy", () => {
    const gated = approvalsConfigSchema.parse({
      autonomy: "on-the-loop",
      bots: { careful: "in-the-loop" },
      tasks: [
        {
          bot: "prod-*",
          prompt: "*deploy*",
          decision: "ask",
          reason: "deploys need a second look",
        },
        { prompt: "*drop table*", decision: "deny" },
      ],
    });
    expect(resolveTaskGate(gated, "prod-eu", "Please DEPLOY the release")).toEqual({
      decision: "ask",
      by: "rule 1",
      reason: "deploys need a second look",
    });
    expect(resolveTaskGate(gated, "dev", "deploy it")).toMatchObject({ decision: "allow" });
    expect(resolveTaskGate(gated, "dev", "then drop table users")).toEqual({
      decision: "deny",
      by: "rule 2",
      reason: "approvals.tasks[1] says deny",
    });
    // In the loop is about the agent's execs: a person who puts a task on the board is its loop.
    expect(resolveTaskGate(gated, "careful", "summarise the logs")).toMatchObject({
      decision: "allow",
      by: "no rule",
    });
    expect(resolveTaskGate(gated, "dev", "summarise", true)).toMatchObject({
      decision: "ask",
      by: "requested",
    });
    // Without task rules, nothing changes for bots that are not in the loop.
    expect(resolveTaskGate(config, "other", "deploy")).toMatchObject({ decision: "allow" });
  });
});
