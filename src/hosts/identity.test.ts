import { describe, expect, it } from "vitest";
import { configSchema } from "../config/schema.js";
import { resolveHostId } from "./identity.js";

describe("host identity", () => {
  it("takes host.id, else the machine's hostname made valid", () => {
    expect(resolveHostId("edge-2", "whatever")).toBe("edge-2");
    expect(resolveHostId(undefined, "Build-Box.example.com")).toBe("build-box-example-com");
    expect(resolveHostId(undefined, "--weird__name--")).toBe("weird-name");
    expect(resolveHostId(undefined, "___")).toBe("host");
    expect(resolveHostId(undefined, "x".repeat(80))).toHaveLength(63);
  });

  it("validates host.id and gives heartbeat and unreachableAfter their defaults in ms", () => {
    expect(configSchema.parse({}).host).toEqual({ heartbeat: 5_000, unreachableAfter: 20_000 });
    expect(configSchema.parse({ host: { id: "rack-1" } }).host.id).toBe("rack-1");
    for (const id of ["Rack-1", "rack_1", "-rack", "rack-", ""])
      expect(configSchema.safeParse({ host: { id } }).success, id).toBe(false);
    expect(configSchema.safeParse({ host: { leader: true } }).success).toBe(false);
    expect(configSchema.parse({}).supervisor.startConcurrency).toBe(2);
  });
});
