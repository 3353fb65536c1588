import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { repairConfigSchema } from "../settings.js";
import { ACTION_NAMES, REPAIR_ACTIONS } from "./index.js";

const docs = readFileSync(new URL("../../../docs/repair.md", import.meta.url), "utf8");

/** The registry walked: the one place an action is added, and everything derived from it. */
describe("repair action registry", () => {
  const entries = Object.entries(REPAIR_ACTIONS);

  it("files each action under its own name", () => {
    for (const [key, action] of entries) expect(action.name, key).toBe(key);
  });

  it("documents every action in docs/repair.md", () => {
    const missing = entries.map(([key]) => key).filter((key) => !docs.includes(`\`${key}\``));
    expect(missing).toEqual([]);
  });

  it("is the allowlist: its names, its default and the only names it accepts", () => {
    expect(ACTION_NAMES).toEqual(Object.keys(REPAIR_ACTIONS));
    expect(repairConfigSchema.parse({}).allowlist).toEqual(Object.keys(REPAIR_ACTIONS));
    for (const name of ACTION_NAMES)
      expect(repairConfigSchema.safeParse({ allowlist: [name] }).success, name).toBe(true);
    expect(repairConfigSchema.safeParse({ allowlist: ["rm-rf"] }).success).toBe(false);
  });

  it("lets a deep fix run only registered actions before it", () => {
    const registered = new Set<unknown>(Object.values(REPAIR_ACTIONS));
    for (const [key, action] of entries)
      for (const before of action.deepFix?.before ?? [])
        expect(registered.has(before), `${key} runs ${before.name} first`).toBe(true);
  });
});
