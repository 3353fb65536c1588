import { describe, expect, it } from "vitest";
import * as compat from "./compat.js";
import { compareVersions, versionSupport } from "./compat.js";

describe("OpenClaw version support", () => {
  it("places calendar versions numerically, a suffix counting as its release", () => {
    const level = (v: string) => versionSupport(v).level;
    expect(level("2026.9.6")).toBe("tested");
    expect(level("v2026.9.6")).toBe("tested");
    expect(level(" 2026.9.6\n")).toBe("tested");
    expect(level("2026.9.6-beta.1")).toBe("tested");
    expect(level("2026.9.6+build.7")).toBe("tested");
    expect(level("2026.10.1")).toBe("newer"); // not a string comparison
    expect(level("2026.9.10")).toBe("newer");
    expect(level("2026.9.7-beta.1")).toBe("newer");
    expect(level("2026.8.30")).toBe("older");
    expect(level("2025.12.31")).toBe("older");
    expect(compareVersions("2026.9.6-beta.1", "2026.9.6")).toBe(0);
  });

  it("refuses what is not a version, a malformed suffix included", () => {
    for (const odd of ["", "dev", "2026.9", "2026.9.6.1", "2026.9.6-", "2026.9.6-beta 1"])
      expect(versionSupport(odd).level, JSON.stringify(odd)).toBe("unknown");
    expect(() => compareVersions("2026.9.6", "latest")).toThrow("not an OpenClaw version: latest");
  });

  it("exports no feature table nobody reads", () => {
    expect(Object.keys(compat).sort()).toEqual([
      "SQLITE_SESSIONS_SINCE",
      "SUPPORTED_PROTOCOLS",
      "TESTED_VERSIONS",
      "compareVersions",
      "keepsJsonlSessions",
      "parseVersion",
      "versionSupport",
    ]);
  });

  it("knows which gateways keep their sessions as JSONL files", () => {
    expect(compat.keepsJsonlSessions("2026.7.35")).toBe(true);
    expect(compat.keepsJsonlSessions("2026.8.0")).toBe(false);
    expect(compat.keepsJsonlSessions("2026.9.6")).toBe(false);
    expect(compat.keepsJsonlSessions("dev")).toBe(false);
  });
});
