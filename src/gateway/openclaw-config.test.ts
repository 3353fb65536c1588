import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { json5Problem, readOpenClawConfig } from "./openclaw-config.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "clawops-occonfig-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("readOpenClawConfig on a file that is not a gateway config", () => {
  it("names the file, line and column, and never a character of its content", () => {
    const file = path.join(dir, "shadow");
    writeFileSync(file, "root:$y$j9T$Qx:20228:0:99999:7:::\n");
    let message = "";
    try {
      readOpenClawConfig(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`${file}:1:1: not valid JSON5: invalid character at 1:1`);
    expect(message).not.toMatch(/'r'|root/);
  });

  it("drops quoted characters, escaped ones too, and keeps the rest of json5's message", () => {
    expect(json5Problem(new SyntaxError("JSON5: invalid character '\\\"' at 2:1"))).toBe(
      "invalid character at 2:1",
    );
    expect(json5Problem(new SyntaxError("JSON5: invalid end of input at 3:4"))).toBe(
      "invalid end of input at 3:4",
    );
  });
});
