/**
 * Events are the append-only lifecycle and audit log of clawops. Every
 * capability publishes on the bus; the recorder persists them.
 */
export interface OpsEventInput {
  /** Dotted type, `<area>.<what>`: `bot.registered`, `daemon.started`, `gateway.crashed`. */
  type: string;
  /** The bot it concerns, by id, when it concerns one. */
  botId?: string | null;
  /** Who or what caused it: `cli`, `api`, `daemon`, `supervisor`, a user name. */
  actor: string;
  /** Structured details; never secrets. */
  data?: Record<string, unknown>;
  /** When it happened (ISO 8601); defaults to when it is published. */
  ts?: string;
}

/** An event as the bus delivers it, at once: everything but the store's id. */
export interface BusEvent extends Required<OpsEventInput> {
  /** ISO 8601 timestamp with milliseconds, UTC: when it was published. */
  ts: string;
  botId: string | null;
  data: Record<string, unknown>;
}

/** An event as the store holds it. */
export interface OpsEvent extends Required<OpsEventInput> {
  id: number;
  /** ISO 8601 timestamp with milliseconds, UTC. */
  ts: string;
  botId: string | null;
  data: Record<string, unknown>;
}
