import { z } from "zod";
import { OpsError } from "../../core/errors.js";
import { NOTIFICATION_KINDS } from "../../core/notification.js";
import type { DaemonContext } from "../../daemon/context.js";
import { type Api, withErrors } from "../schema.js";

/** A notification as listed (src/core/notification.ts `Notification`, without its dedupe key). */
const notificationSchema = z
  .object({
    seq: z.number().int().meta({ description: "increasing within the daemon's run" }),
    kind: z.enum(NOTIFICATION_KINDS),
    bot: z.string().nullable(),
    title: z.string(),
    lines: z.array(z.string()),
    detail: z.string().optional(),
    repairId: z.string().optional(),
    approval: z.object({ id: z.string() }).optional(),
    ts: z.string(),
  })
  .meta({ id: "Notification" });

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/**
 * `GET /api/v1/notifications`: the latest notifications of the caller's
 * organisation (the realtime offline queue's ring, docs/realtime.md), for a
 * page that was not connected when they came. Reading them gives nothing:
 * the `/ws` notifications room still delivers its queue.
 */
export function notificationRoutes(app: Api, ctx: DaemonContext) {
  app.get(
    "/api/v1/notifications",
    {
      schema: {
        tags: ["events"],
        summary: "The organisation's latest notifications, newest first",
        description:
          "What clawops told the organisation's operators (repairs, budgets, approvals, ...): at most the last 100, kept in the daemon's memory (a restart starts empty). Live ones come on `/ws` in the caller's notifications room.",
        querystring: listQuery,
        response: withErrors({
          200: z.object({ notifications: z.array(notificationSchema) }),
        }),
      },
    },
    async (request) => {
      if (!request.principal) throw new OpsError("UNAUTHORIZED", "no credentials");
      const queued = ctx.realtime.recentNotifications(request.principal.org, request.query.limit);
      return {
        notifications: queued.map(({ seq, notification }) => {
          const { dedupeKey: _key, ...shown } = notification;
          return { seq, ...shown };
        }),
      };
    },
  );
}
