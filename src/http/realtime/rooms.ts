import type { Principal } from "../../core/access.js";
import { OpsError } from "../../core/errors.js";
import type { BusEvent } from "../../core/events.js";

/**
 * The realtime rooms (docs/realtime.md), who may join each, and which rooms
 * an event of the bus goes to.
 */
export type Room =
  | { kind: "bot"; bot: string }
  | { kind: "sessions"; bot: string }
  | { kind: "org"; org: string }
  | { kind: "notifications"; principalId: string };

/** Where a bot belongs: its organisation, or null for a bot that does not exist. */
export type BotOrg = (name: string) => string | null;

const SEGMENT = "([A-Za-z0-9][A-Za-z0-9._-]{0,63})";
const PATTERNS: readonly [RegExp, (id: string) => Room][] = [
  [new RegExp(`^bot:${SEGMENT}$`), (bot) => ({ kind: "bot", bot })],
  [new RegExp(`^bot:${SEGMENT}:sessions$`), (bot) => ({ kind: "sessions", bot })],
  [new RegExp(`^org:${SEGMENT}:events$`), (org) => ({ kind: "org", org })],
  [
    new RegExp(`^user:${SEGMENT}:notifications$`),
    (principalId) => ({ kind: "notifications", principalId }),
  ],
];

export const ROOM_HINT =
  "bot:<name>, bot:<name>:sessions, org:<organisation>:events or user:<id>:notifications";

/** The room a name denotes; null when it denotes none. */
export function parseRoom(name: string): Room | null {
  for (const [pattern, make] of PATTERNS) {
    const match = pattern.exec(name);
    if (match) return make(match[1]!);
  }
  return null;
}

/**
 * The room `name` when `principal` may join it; throws otherwise:
 * `VALIDATION` for a name that is no room, `NOT_FOUND` for a bot that does
 * not exist or belongs to another organisation (it names nothing the caller
 * may know of), `FORBIDDEN` for another organisation's events or another
 * principal's notifications. Every role may read; the local CLI (the host's
 * owner) reads every organisation.
 */
export function checkRoom(principal: Principal, name: string, botOrg: BotOrg): Room {
  const room = parseRoom(name);
  if (!room)
    throw new OpsError("VALIDATION", `"${name.slice(0, 200)}" is not a room: ${ROOM_HINT}`);
  const sees = (org: string) => principal.kind === "local" || principal.org === org;
  switch (room.kind) {
    case "bot":
    case "sessions": {
      const org = botOrg(room.bot);
      if (org === null || !sees(org)) throw new OpsError("NOT_FOUND", `no bot named "${room.bot}"`);
      return room;
    }
    case "org":
      if (!sees(room.org))
        throw new OpsError(
          "FORBIDDEN",
          `${principal.kind}:${principal.name} belongs to organisation "${principal.org}", not "${room.org}"`,
        );
      return room;
    case "notifications":
      if (room.principalId !== principal.id)
        throw new OpsError(
          "FORBIDDEN",
          `only its owner reads ${name}; yours is user:${principal.id}:notifications`,
        );
      return room;
  }
}

/**
 * The rooms an event goes to. A bot's events go to `bot:<name>` and its
 * organisation's `org:<org>:events`, except its sessions' (`session.*`,
 * which include every transcript message) that go to `bot:<name>:sessions`
 * only; an event about no bot goes to `fleetOrg`'s events.
 */
export function roomsOf(event: BusEvent, bot: string | null, org: string | null): string[] {
  if (event.type.startsWith("session.")) return bot === null ? [] : [`bot:${bot}:sessions`];
  const rooms = bot === null ? [] : [`bot:${bot}`];
  if (org !== null) rooms.push(`org:${org}:events`);
  return rooms;
}

/** The bot an event concerns, by name: from the registry's names, else from the event itself. */
export function botOfEvent(
  event: BusEvent,
  botName: (botId: string) => string | null,
): string | null {
  if (event.botId === null) return null;
  const known = botName(event.botId);
  if (known !== null) return known;
  // A registration (or removal) can be delivered before the daemon's names know of it.
  if (event.type === "bot.registered" || event.type === "bot.removed") return event.data.name;
  return null;
}
