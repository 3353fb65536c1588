import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { trackCreated } from "./created-files.js";

describe("files of a provisioning that failed", () => {
  const scratch = tempDir("clawops-created-");
  afterAll(() => scratch.remove());

  it("removes what it wrote, the state dir it made and the deploy folder, nothing else", () => {
    const stateDir = path.join(scratch.dir, "bots", "demo");
    const deploy = path.join(scratch.dir, "deploy", "demo");
    mkdirSync(path.join(scratch.dir, "deploy"));
    writeFileSync(path.join(scratch.dir, "deploy", "other.txt"), "kept");
    const created = trackCreated(stateDir);
    mkdirSync(stateDir, { recursive: true });
    created.write(path.join(stateDir, "openclaw.json"), "{}", 0o600);
    created.write(path.join(deploy, "Caddyfile"), ":80 {}\n");
    // What OpenClaw's CLI wrote meanwhile goes with the state dir.
    mkdirSync(path.join(stateDir, "state"));
    created.undo();
    expect(existsSync(stateDir)).toBe(false);
    expect(existsSync(deploy)).toBe(false);
    expect(readdirSync(path.join(scratch.dir, "deploy"))).toEqual(["other.txt"]);
  });

  it("keeps a state dir that was there before, and what else is in it", () => {
    const stateDir = path.join(scratch.dir, "existing");
    mkdirSync(stateDir);
    writeFileSync(path.join(stateDir, "notes.txt"), "mine");
    const created = trackCreated(stateDir);
    created.write(path.join(stateDir, "gateway-token"), "x\n", 0o600);
    created.undo();
    expect(readdirSync(stateDir)).toEqual(["notes.txt"]);
  });
});
