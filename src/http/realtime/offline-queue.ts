import type { Notification } from "../../core/notification.js";

export interface QueuedNotification {
  /** Increasing within the daemon's run (a restart starts again at 1). */
  seq: number;
  notification: Notification;
}

/**
 * The notifications a principal has not been given yet. A notification is
 * addressed to an organisation (every principal of it reads it), so the
 * queue is one ring of the last `size` notifications per organisation and
 * one cursor per principal (the last one it was given): each principal's
 * view is its own offline queue of at most `size`, and memory stays bounded
 * however many principals there are (at most `maxCursors` cursors, the
 * least recently used forgotten first: a forgotten principal is given the
 * whole ring again). Nothing here survives a restart.
 */
export class NotificationQueues {
  private seq = 0;
  private readonly rings = new Map<string, QueuedNotification[]>();
  private readonly cursors = new Map<string, number>();

  constructor(
    /** Notifications kept per organisation. */
    private readonly size = 100,
    /** Principals remembered. */
    private readonly maxCursors = 10_000,
  ) {}

  /** Queues a notification for `org`'s principals; the queued entry, with its sequence number. */
  add(org: string, notification: Notification): QueuedNotification {
    const queued = { seq: ++this.seq, notification };
    let ring = this.rings.get(org);
    if (!ring) this.rings.set(org, (ring = []));
    ring.push(queued);
    if (ring.length > this.size) ring.shift();
    return queued;
  }

  /** The last `limit` notifications of `org`, newest first; gives nothing to anyone. */
  recent(org: string, limit = this.size): QueuedNotification[] {
    return (this.rings.get(org) ?? []).slice(-limit).reverse();
  }

  /** What `principalId` of `org` has not been given, oldest first; it counts as given now. */
  take(principalId: string, org: string): QueuedNotification[] {
    const after = this.cursors.get(principalId) ?? 0;
    const pending = (this.rings.get(org) ?? []).filter((queued) => queued.seq > after);
    this.given(principalId, pending.at(-1)?.seq ?? after);
    return pending;
  }

  /** Records that `principalId` was given everything up to `seq`. */
  given(principalId: string, seq: number): void {
    const before = this.cursors.get(principalId) ?? 0;
    // Deleted and set again: a Map iterates in insertion order, so the first key is the least recent.
    this.cursors.delete(principalId);
    this.cursors.set(principalId, Math.max(before, seq));
    if (this.cursors.size > this.maxCursors) {
      const oldest = this.cursors.keys().next().value;
      if (oldest !== undefined) this.cursors.delete(oldest);
    }
  }
}
