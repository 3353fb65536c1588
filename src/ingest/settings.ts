import { z } from "zod";
import { duration } from "../core/duration.js";

const price = z.strictObject({
  /** US dollars per million input tokens. */
  input: z.number().min(0),
  output: z.number().min(0),
  cacheRead: z.number().min(0).optional(),
  cacheWrite: z.number().min(0).optional(),
});

/** `ingest` in clawops.yaml: the copy of every gateway's sessions, messages and cost. */
export const ingestConfigSchema = z
  .strictObject({
    /** Follow every live gateway's sessions (one held WebSocket per gateway). */
    enabled: z.boolean().default(true),
    /**
     * Prices for models whose gateway reports no cost and whose config has
     * none, by `provider/model`; they win over the bundled price database.
     */
    prices: z
      .record(z.string().regex(/^[^/\s]+\/\S+$/, "a `provider/model` name"), price)
      .default({}),
    /** Delete messages older than this (`"400d"`); sessions and their totals stay. `0`: keep all. */
    retention: duration("0s"),
    /** How long after a turn's news its history is read (tool results, long texts). */
    settle: duration("150ms"),
  })
  .prefault({});

export type IngestSettings = z.output<typeof ingestConfigSchema>;
