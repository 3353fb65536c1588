import { describe, expect, it } from "vitest";
import { memoFor } from "./memo.js";

describe("memoFor", () => {
  it("shares one load per key within its time, loads again after, and never keeps a failure", async () => {
    let t = 0;
    const loads: string[] = [];
    const memo = memoFor(
      1_000,
      async (key) => {
        loads.push(key);
        if (key === "bad") throw new Error("no");
        return `${key}@${t}`;
      },
      () => t,
    );
    const [a, b] = await Promise.all([memo("a"), memo("a")]);
    expect([a, b]).toEqual(["a@0", "a@0"]);
    t = 999;
    expect(await memo("a")).toBe("a@0");
    expect(await memo("b")).toBe("b@999");
    t = 1_000;
    expect(await memo("a")).toBe("a@1000");
    await expect(memo("bad")).rejects.toThrow("no");
    await expect(memo("bad")).rejects.toThrow("no");
    expect(loads).toEqual(["a", "b", "a", "bad", "bad"]);
  });
});
