import { appendFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { readLogAfter, rotateLog } from "./log-file.js";

describe("readLogAfter", () => {
  let work: ReturnType<typeof tempDir>;
  afterEach(() => work.remove());

  it("pages whole lines by cursor, across a rotation, and keeps a half-written line for later", () => {
    work = tempDir("clawops-log-");
    const file = path.join(work.dir, "bot.log");
    expect(readLogAfter(file, null)).toEqual({
      lines: [],
      cursor: 0,
      reset: false,
      truncated: false,
    });
    writeFileSync(file, "one\ntwo\nthr");
    const first = readLogAfter(file, null);
    expect(first).toEqual({ lines: ["one", "two"], cursor: 8, reset: false, truncated: false });
    appendFileSync(file, "ee\nfour\n");
    const second = readLogAfter(file, first.cursor);
    expect(second.lines).toEqual(["three", "four"]);
    expect(readLogAfter(file, second.cursor).lines).toEqual([]);
    rotateLog(file, 1, 2);
    appendFileSync(file, "five\n");
    expect(readLogAfter(file, second.cursor)).toEqual({
      lines: ["five"],
      cursor: 5,
      reset: true,
      truncated: false,
    });
  });

  it("returns the newest lines when more than maxBytes is new, never a line's fragment", () => {
    work = tempDir("clawops-log-");
    const file = path.join(work.dir, "bot.log");
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n") + "\n");
    const page = readLogAfter(file, 0, 40);
    expect(page.truncated).toBe(true);
    expect(page.lines.at(-1)).toBe("line 99");
    for (const line of page.lines) expect(line).toMatch(/^line \d+$/);
    expect(readLogAfter(file, null, 40).lines).toEqual(page.lines);
  });
});
