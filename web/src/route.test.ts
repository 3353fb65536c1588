import { describe, expect, it } from "vitest";
import { describeEvent } from "./describe-event.js";
import { botHref, parseRoute, sessionHref } from "./route.js";

describe("the dashboard's routes and timeline lines", () => {
  it("routes a bot's fragment, its tabs and transcripts, and anything else to the fleet", () => {
    expect(parseRoute(botHref("alpha-1"))).toEqual({
      page: "bot",
      name: "alpha-1",
      tab: "overview",
      session: null,
    });
    expect(parseRoute(botHref("a", "logs"))).toMatchObject({ tab: "logs", session: null });
    expect(parseRoute(sessionHref("a", "s/1 é"))).toMatchObject({
      tab: "sessions",
      session: "s/1 é",
    });
    expect(parseRoute("")).toEqual({ page: "fleet" });
    expect(parseRoute("#/notifications")).toEqual({ page: "notifications" });
    expect(parseRoute("#/repairs")).toEqual({ page: "repairs" });
    expect(parseRoute("#/access")).toEqual({ page: "access" });
    expect(parseRoute("#/readiness")).toEqual({ page: "readiness" });
    expect(parseRoute("#/access/x")).toEqual({ page: "fleet" });
    expect(parseRoute("#/bots/../x")).toEqual({ page: "fleet" });
    expect(parseRoute("#/bots/Alpha")).toEqual({ page: "fleet" });
    expect(parseRoute("#/bots/a/nope")).toEqual({ page: "fleet" });
    expect(parseRoute("#/bots/a/logs/x")).toEqual({ page: "fleet" });
    expect(parseRoute("#/bots/a/sessions/%E0")).toEqual({ page: "fleet" });
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
