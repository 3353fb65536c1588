import { describe, expect, it } from "vitest";
import { describeEvent } from "./describe-event.js";
import { botHref, parseRoute } from "./route.js";

describe("the dashboard's routes and timeline lines", () => {
  it("routes a bot's fragment, and anything else to the fleet", () => {
    expect(parseRoute(botHref("alpha-1"))).toEqual({ page: "bot", name: "alpha-1" });
    expect(parseRoute("")).toEqual({ page: "fleet" });
    expect(parseRoute("#/bots/../x")).toEqual({ page: "fleet" });
    expect(parseRoute("#/bots/Alpha")).toEqual({ page: "fleet" });
  });

  it("says a state change, a message, or the scalar fields", () => {
    expect(
      describeEvent("gateway.state", { from: "running", to: "crashed", reason: "killed" }),
    ).toBe("running → crashed: killed");
    expect(describeEvent("gateway.hung", { check: "healthz", message: "no answer" })).toBe(
      "no answer",
    );
    expect(describeEvent("bot.registered", { name: "a", port: 1, labels: {} })).toBe(
      "name=a · port=1",
    );
  });
});
