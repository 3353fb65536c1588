import {
  chownSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpsError } from "../core/errors.js";
import { type ApiPathPolicy, apiPathPolicy, checkApiBotPaths } from "./bot-paths.js";

let dir: string;
let dataDir: string;
let policy: ApiPathPolicy;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "clawops-api-paths-"));
  dataDir = path.join(dir, "data");
  mkdirSync(path.join(dataDir, "bots"), { recursive: true });
  policy = apiPathPolicy({ dataDir, http: {} });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The error's code and the field its issue names; "ok" when accepted. */
function refusal(body: Record<string, unknown>, with_ = policy): string {
  try {
    checkApiBotPaths({ name: "b", ...body }, with_);
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(OpsError);
    const ops = error as OpsError;
    return `${ops.code} ${ops.issues.map((i) => i.path).join(",")}`;
  }
}

describe("bot paths over the API", () => {
  it("never takes an executable", () => {
    expect(refusal({ openclawBin: "/bin/sh" })).toBe("FORBIDDEN openclawBin");
    expect(refusal({ openclawBin: null })).toBe("FORBIDDEN openclawBin");
  });

  it("takes absolute paths inside <dataDir>/bots by default, with the real path", () => {
    const stateDir = path.join(dataDir, "bots", "b");
    mkdirSync(stateDir);
    writeFileSync(path.join(stateDir, "openclaw.json"), "{}");
    expect(refusal({ stateDir })).toBe("ok");
    expect(refusal({ stateDir: path.join(dataDir, "bots", "new", "state") })).toBe("ok");
    // Through a symlinked parent, the registered path is the real one.
    symlinkSync(path.join(dataDir, "bots"), path.join(dir, "alias"));
    const checked = checkApiBotPaths(
      { name: "b", stateDir: path.join(dir, "alias", "b") },
      policy,
    ) as { stateDir: string };
    expect(checked.stateDir).toBe(stateDir);
  });

  it("refuses relative paths, paths outside the roots and clawops's own files", () => {
    expect(refusal({ stateDir: "bots/b" })).toBe("VALIDATION stateDir");
    expect(refusal({ configPath: "/etc/shadow" })).toBe("VALIDATION configPath");
    expect(refusal({ stateDir: path.join(dataDir, "bots", "..", "..") })).toBe(
      "VALIDATION stateDir",
    );
    expect(refusal({ configPath: "/etc/passwd\0" })).toBe("VALIDATION configPath");
    // Even when a configured root covers the data dir, its own files stay out of reach.
    const wide = apiPathPolicy({ dataDir, http: { allowedRoots: [dir] } });
    writeFileSync(path.join(dataDir, "clawops.db"), "SQLite format 3");
    expect(refusal({ configPath: path.join(dataDir, "clawops.db") }, wide)).toBe(
      "VALIDATION configPath",
    );
    expect(refusal({ stateDir: dataDir }, wide)).toBe("VALIDATION stateDir");
  });

  it("follows symlinks out of the root and refuses where they lead", () => {
    const stateDir = path.join(dataDir, "bots", "b");
    mkdirSync(stateDir);
    symlinkSync("/etc/shadow", path.join(stateDir, "openclaw.json"));
    expect(refusal({ configPath: path.join(stateDir, "openclaw.json") })).toBe(
      "VALIDATION configPath",
    );
    // The default config inside a given state dir is checked too.
    expect(refusal({ stateDir })).toBe("VALIDATION configPath");
    symlinkSync("/etc", path.join(dataDir, "bots", "etc"));
    expect(refusal({ configPath: path.join(dataDir, "bots", "etc", "shadow") })).toBe(
      "VALIDATION configPath",
    );
    symlinkSync(path.join(dir, "nowhere"), path.join(dataDir, "bots", "dangling"));
    expect(refusal({ stateDir: path.join(dataDir, "bots", "dangling") })).toBe(
      "VALIDATION stateDir",
    );
  });

  it("keeps out of other bots' state dirs, and does not wrap one", () => {
    const theirs = path.join(dataDir, "bots", "theirs");
    mkdirSync(path.join(theirs, "agents", "main", "agent"), { recursive: true });
    writeFileSync(path.join(theirs, "agents", "main", "agent", "auth-profiles.json"), "{}");
    const withOther = apiPathPolicy({ dataDir, http: {} }, [theirs]);
    expect(
      refusal(
        { configPath: path.join(theirs, "agents", "main", "agent", "auth-profiles.json") },
        withOther,
      ),
    ).toBe("VALIDATION configPath");
    expect(refusal({ stateDir: path.join(theirs, "agents") }, withOther)).toBe(
      "VALIDATION stateDir",
    );
    const wide = apiPathPolicy({ dataDir, http: { allowedRoots: [dir] } }, [theirs]);
    expect(refusal({ stateDir: path.join(dataDir, "bots") }, wide)).toBe("VALIDATION stateDir");
    expect(refusal({ stateDir: path.join(dataDir, "bots", "mine") }, withOther)).toBe("ok");
  });

  it("checks type, hard links and ownership", () => {
    const bots = path.join(dataDir, "bots");
    writeFileSync(path.join(bots, "file"), "{}");
    mkdirSync(path.join(bots, "dir"));
    expect(refusal({ stateDir: path.join(bots, "file") })).toBe("VALIDATION stateDir");
    expect(refusal({ configPath: path.join(bots, "dir") })).toBe("VALIDATION configPath");
    expect(refusal({ stateDir: path.join(bots, "file", "below") })).toBe("VALIDATION stateDir");
    linkSync(path.join(bots, "file"), path.join(bots, "linked"));
    expect(refusal({ configPath: path.join(bots, "linked") })).toBe("VALIDATION configPath");
    const other = { ...policy, uid: policy.uid + 1 };
    expect(refusal({ stateDir: path.join(bots, "dir") }, other)).toBe("VALIDATION stateDir");
    expect(refusal({ stateDir: path.join(bots, "dir", "new") }, other)).toBe("VALIDATION stateDir");
    if (process.getuid?.() === 0) {
      // A file someone else owns, inside the root.
      writeFileSync(path.join(bots, "theirs.json"), "{}");
      chownSync(path.join(bots, "theirs.json"), 65534, 65534);
      expect(refusal({ configPath: path.join(bots, "theirs.json") })).toBe("VALIDATION configPath");
    }
  });

  it("leaves everything else to the registry's validation", () => {
    expect(checkApiBotPaths("not an object", policy)).toBe("not an object");
    expect(checkApiBotPaths({ name: "b", stateDir: 42 }, policy)).toEqual({
      name: "b",
      stateDir: 42,
    });
  });
});
