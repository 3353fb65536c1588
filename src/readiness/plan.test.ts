import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { resolvePlan } from "./plan.js";

const names = (plan: ReturnType<typeof resolvePlan>) => plan.map((p) => `${p.name}<${p.source}>`);

describe("the readiness plan", () => {
  it("has the built-ins with nothing declared: the store and every bot's gateway", () => {
    const plan = resolvePlan(configSchema.parse({}), ["alpha", "beta"]);
    expect(names(plan)).toEqual([
      "store<built-in>",
      "gateway:alpha<built-in>",
      "gateway:beta<built-in>",
    ]);
    expect(plan[1]!.config).toMatchObject({ bot: "alpha", chat: false });
  });

  it("adds backups when they are scheduled, and nothing built in with builtins off", () => {
    expect(names(resolvePlan(configSchema.parse({ backups: { enabled: true } }), []))).toEqual([
      "store<built-in>",
      "backups<built-in>",
    ]);
    expect(resolvePlan(configSchema.parse({ readiness: { builtins: false } }), ["a"])).toEqual([]);
  });

  it("expands a gateway component without bot or url to every bot, and names repeats apart", () => {
    const config = configSchema.parse({
      readiness: {
        components: [
          { check: "gateway", chat: true },
          { check: "redis", url: "redis://a:6379" },
          { check: "redis", url: "redis://b:6379" },
        ],
      },
    });
    const plan = resolvePlan(config, ["alpha"]);
    expect(names(plan)).toEqual([
      "gateway:alpha<readiness.components[0]>",
      "redis<readiness.components[1]>",
      "redis-2<readiness.components[2]>",
      "store<built-in>",
    ]);
    expect(plan[0]!.config).toMatchObject({ bot: "alpha", chat: true });
  });

  it("keeps what --only names, and refuses a name that matches nothing", () => {
    const config = configSchema.parse({
      readiness: { components: [{ check: "redis", name: "cache", url: "redis://a:6379" }] },
    });
    expect(names(resolvePlan(config, ["alpha"], ["cache", "gateway"]))).toEqual([
      "cache<readiness.components[0]>",
      "gateway:alpha<built-in>",
    ]);
    expect(() => resolvePlan(config, [], ["kafka"])).toThrow(/--only kafka: no such check/);
  });
});
