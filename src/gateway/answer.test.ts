import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { OpsError } from "../core/errors.js";
import { parseAnswer } from "./answer.js";

describe("parseAnswer", () => {
  const schema = z.object({ sessions: z.array(z.object({ key: z.string() })) });

  it("returns what the schema reads", () => {
    expect(
      parseAnswer(schema, { sessions: [{ key: "a" }] }, "openclaw sessions", "<root>"),
    ).toEqual({ sessions: [{ key: "a" }] });
  });

  it("names who answered and the first place that differs", () => {
    let error: OpsError | undefined;
    try {
      parseAnswer(schema, { sessions: [{ key: 1 }] }, "sessions.list", "<payload>", {
        method: "sessions.list",
      });
    } catch (thrown) {
      error = thrown as OpsError;
    }
    expect(error).toMatchObject({
      code: "GATEWAY_BAD_RESPONSE",
      details: { method: "sessions.list", path: "sessions[0].key" },
    });
    expect(error?.message).toMatch(
      /^sessions\.list answered an unexpected shape: at sessions\[0\]\.key: /,
    );
  });

  it("calls a difference at the top by the name given for the whole value", () => {
    expect(() => parseAnswer(schema, "text", "openclaw sessions", "<root>")).toThrow(
      /^openclaw sessions answered an unexpected shape: at <root>: /,
    );
  });
});
