import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EVENTS_DOC, renderEventsDoc } from "../../scripts/events-doc.js";
import { EVENT_TYPES, type OpsEvent, eventIssues, eventVersion, readEvent } from "./events.js";

const stored = (event: Partial<OpsEvent>): OpsEvent => ({
  id: 1,
  ts: "2026-11-30T10:00:00.000Z",
  type: "repair.resumed",
  version: 1,
  botId: null,
  actor: "cli",
  data: { scope: "fleet" },
  ...event,
});

describe("the event catalogue", () => {
  it("is documented as it is: docs/events.md is what `npm run docs:events` renders", async () => {
    const written = readFileSync(EVENTS_DOC, "utf8");
    expect(written, "docs/events.md is stale: run npm run docs:events").toBe(
      await renderEventsDoc(),
    );
    for (const type of EVENT_TYPES) expect(written).toContain(`## \`${type}\``);
  });

  it("reads back a stored event typed, and refuses one of another shape or version", () => {
    expect(readEvent(stored({}))).toEqual({
      type: "repair.resumed",
      ts: "2026-11-30T10:00:00.000Z",
      botId: null,
      actor: "cli",
      data: { scope: "fleet" },
    });
    expect(readEvent(stored({ version: 2 }))).toBeNull();
    expect(readEvent(stored({ data: { scope: 3 } }))).toBeNull();
    expect(readEvent(stored({ type: "gateway.crashed" }))).toBeNull();
  });

  it("names what is wrong with an event off the catalogue", () => {
    expect(eventIssues({ type: "repair.resumed", data: { scope: "fleet" } })).toBeNull();
    expect(eventIssues({ type: "repair.resumed", data: {} })).toContain("scope");
    expect(eventIssues({ type: "gateway.crashed", data: {} })).toBe(
      "gateway.crashed is not in the catalogue",
    );
    expect(eventVersion("gateway.state")).toBe(1);
    expect(eventVersion("gateway.crashed")).toBe(0);
  });
});
