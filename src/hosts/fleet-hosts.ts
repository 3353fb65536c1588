import type { Logger } from "pino";
import type { Bot } from "../core/bot.js";
import { OpsError, errorMessage } from "../core/errors.js";
import type { LoopRunner } from "../core/time.js";
import type { HostRecord } from "../store/host-store.js";
import type { Store } from "../store/store.js";

/** The header a forwarded call carries: the owner never forwards it again. */
export const FORWARDED_BY_HEADER = "x-clawops-forwarded-by";

/**
 * The header with which a daemon relaying a chat command to the host that
 * runs the bot names who gave it (`telegram:<chat id>`). The owner honours it
 * for a daemon's local credential only (src/http/client.ts): that is owner of
 * the install, which may act as anyone anyway.
 */
export const ON_BEHALF_HEADER = "x-clawops-on-behalf-of";

/**
 * The request headers that say who calls (credentials, CSRF token, client
 * name, whom a daemon relays for): forwarded as they came, so that the owner
 * checks the caller as the first daemon did, against the same store.
 */
const CALLER_HEADERS = [
  "authorization",
  "cookie",
  "x-csrf-token",
  "x-clawops-client",
  ON_BEHALF_HEADER,
] as const;

/** A host as the fleet view shows it. */
export interface HostView extends HostRecord {
  /** Heard from within `host.unreachableAfter` (this daemon's own host always is). */
  reachable: boolean;
  /** This daemon's own host. */
  self: boolean;
}

/** What the owner answered: relayed to the caller as it is. */
export interface Relayed {
  status: number;
  body: unknown;
}

export interface FleetHostsDeps {
  store: Store;
  log: Logger;
  /** This host's row as it starts (`lastSeenAt` is set by each heartbeat). */
  self: Omit<HostRecord, "lastSeenAt">;
  heartbeatMs: number;
  unreachableAfterMs: number;
  /** How long a forwarded call may take, in ms (a start waits for the gateway, a repair longer). */
  forwardTimeoutMs: number;
  /** Leadership as the election sees it now. */
  leader(): boolean;
  /**
   * One host alone (SQLite): every bot is this host's, other hosts' rows
   * (a renamed machine's old name) are not shown.
   */
  single: boolean;
  now?: () => number;
}

/**
 * This daemon's place in a fleet of several hosts sharing one store
 * (docs/hosts.md): its host row and heartbeat, the fleet's hosts with their
 * reachability, and the forwarding of a call that acts on a bot (a lifecycle
 * action, a repair, its logs) to the daemon of the host that runs the bot. On
 * SQLite there is one host, this one.
 */
export class FleetHosts {
  /**
   * The hosts' rows as the last heartbeat read them: a forwarded call reads
   * its owner's address here, not from the store (one query less on the
   * routed path); a row that looks silent is read again before a call fails.
   */
  private readonly known = new Map<string, HostRecord>();

  constructor(private readonly deps: FleetHostsDeps) {}

  /** This daemon's host id. */
  get id(): string {
    return this.deps.self.id;
  }

  /** True while this daemon runs the fleet's singletons. */
  leader(): boolean {
    return this.deps.leader();
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /**
   * Writes this host's row and claims the bots that have no host yet (the
   * ones registered before hosts existed: they are this host's, whose store
   * they were in). Returns how many it claimed.
   */
  async register(): Promise<number> {
    await this.deps.store.hosts.upsertHost({
      ...this.deps.self,
      lastSeenAt: new Date(this.now()).toISOString(),
    });
    const claimed = await this.deps.store.hosts.claimUnowned(this.id, { all: this.deps.single });
    if (claimed > 0) this.deps.log.info({ host: this.id, claimed }, "hosts.claimed_unowned");
    return claimed;
  }

  /** Heartbeats this host's row every `host.heartbeat` until `signal` aborts; reads the others'. */
  start(loops: LoopRunner, signal: AbortSignal): void {
    loops.every("host-heartbeat", this.deps.heartbeatMs, signal, async () => {
      const at = new Date(this.now()).toISOString();
      // A row removed by hand comes back whole.
      if (!(await this.deps.store.hosts.heartbeat(this.id, at))) await this.register();
      for (const host of await this.deps.store.hosts.listHosts()) this.known.set(host.id, host);
    });
  }

  /** Every host of the fleet with its reachability now. */
  async list(): Promise<HostView[]> {
    const now = this.now();
    const hosts = await this.deps.store.hosts.listHosts();
    return hosts
      .filter((host) => !this.deps.single || host.id === this.id)
      .map((host) => this.view(host, now));
  }

  private view(host: HostRecord, now: number): HostView {
    const self = host.id === this.id;
    const silentMs = now - Date.parse(host.lastSeenAt);
    return { ...host, self, reachable: self || silentMs <= this.deps.unreachableAfterMs };
  }

  /** True when another host runs the bot: the calls that act on it go to that host's daemon. */
  ownedElsewhere(bot: Bot): boolean {
    return !this.deps.single && typeof bot.host === "string" && bot.host !== this.id;
  }

  /**
   * True when `bot`'s host (another) is not among `hosts` as reachable: its
   * gateway's last known state is not news, and it is shown "host unreachable".
   */
  lostIn(hosts: readonly HostView[], bot: Bot): boolean {
    return this.ownedElsewhere(bot) && hosts.find((h) => h.id === bot.host)?.reachable !== true;
  }

  /**
   * Sends a call on `bot` to its host's daemon with the caller's credentials
   * (every daemon checks them against the one store) and body (as JSON), and
   * returns its answer. Throws `UNAVAILABLE` (503) naming the host when the host is
   * unknown, silent past `host.unreachableAfter`, or does not answer;
   * `CONFLICT` when the call was already forwarded once (ownership moved).
   */
  async forward(bot: Bot, path: string, request: HostCall): Promise<Relayed> {
    const hostId = bot.host!;
    if (forwarded(request))
      throw new OpsError(
        "CONFLICT",
        `bot "${bot.name}" is run by host "${hostId}", not by "${this.id}" that was asked for it`,
        { details: { host: hostId } },
      );
    return this.ask(hostId, path, request, `host "${hostId}" that runs bot "${bot.name}"`);
  }

  /**
   * Sends a call to the daemon of host `hostId` as `forward` does, for what
   * concerns all of that host's bots (the execs they hold); `subject` names
   * the host in the error when it cannot be reached.
   */
  async ask(
    hostId: string,
    path: string,
    request: HostCall,
    subject = `host "${hostId}"`,
  ): Promise<Relayed> {
    const cached = this.known.get(hostId);
    let view = cached ? this.view(cached, this.now()) : null;
    if (!view?.reachable) {
      const host = await this.deps.store.hosts.getHost(hostId);
      if (host) this.known.set(host.id, host);
      view = host ? this.view(host, this.now()) : null;
    }
    if (!view || !view.reachable)
      throw unreachable(subject, hostId, view ? "it stopped reporting" : "it never reported");
    const headers: Record<string, string> = { [FORWARDED_BY_HEADER]: this.id };
    for (const name of CALLER_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const withBody = request.body !== undefined && request.body !== null;
    if (withBody) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(new URL(path, view.apiUrl), {
        method: request.method,
        headers,
        ...(withBody ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(this.deps.forwardTimeoutMs),
      });
    } catch (error) {
      // Its address may have changed (a restart on another port): the next call reads the row again.
      this.known.delete(hostId);
      this.deps.log.warn({ host: hostId, path, err: errorMessage(error) }, "hosts.forward_failed");
      throw unreachable(
        subject,
        hostId,
        `its daemon at ${view.apiUrl} did not answer: ${errorMessage(error)}`,
      );
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      throw unreachable(subject, hostId, `its daemon answered ${response.status} without JSON`);
    }
    return { status: response.status, body };
  }
}

/** A call as it came (its method, the caller's headers, its body), to send to another host. */
export interface HostCall {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/** True when another daemon sent the call: it acts here or nowhere, never forwarded again. */
export function forwarded(request: Pick<HostCall, "headers">): boolean {
  return request.headers[FORWARDED_BY_HEADER] !== undefined;
}

function unreachable(subject: string, host: string, why: string): OpsError {
  return new OpsError("UNAVAILABLE", `${subject} is unreachable: ${why}; the action was not done`, {
    retryable: true,
    details: { host, reason: "host_unreachable" },
  });
}
