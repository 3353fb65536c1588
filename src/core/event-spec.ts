import { z } from "zod";

/** A time in an event's data. */
export const isoTime = z.string().describe("ISO 8601 time, UTC");

/**
 * An entry of the event catalogue that concerns one bot, for the files that
 * keep a capability's events beside it (task-events.ts, approval-events.ts);
 * events.ts spreads them in.
 */
export const botEventSpec = <D extends z.ZodType>(e: {
  version: number;
  summary: string;
  scope: "bot";
  data: D;
}) => e;
