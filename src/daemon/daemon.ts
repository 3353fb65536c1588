import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import type { Logger } from "pino";
import type { ClawopsConfig } from "../config/schema.js";
import { DEFAULT_ORG } from "../core/access.js";
import type { Bot } from "../core/bot.js";
import { errorMessage } from "../core/errors.js";
import { CLAWOPS_VERSION } from "../core/version.js";
import { DoctorRouter } from "../doctor/off-thread.js";
import { DoctorService } from "../doctor/service.js";
import { EventBus } from "../events/bus.js";
import { IngestService } from "../ingest/service.js";
import { ApprovalService } from "../approvals/service.js";
import { BudgetService } from "../budget/service.js";
import { gatewayEnv, gatewaySecrets } from "../gateway/environment.js";
import { syncDeclaredBots } from "../fleet/registry.js";
import { localCredentialPath, readLocalCredential } from "../access/local-credential.js";
import { startAccess } from "../access/startup.js";
import { connectRedis, startInstanceRelay } from "./redis.js";
import { checkExposure, exposureWarning } from "../http/exposure.js";
import { HEARTBEAT_MS, REVALIDATE_MS, RealtimeHub } from "../http/realtime/hub.js";
import type { RealtimeFeed } from "../http/realtime/relay.js";
import { buildHttpServer } from "../http/server.js";
import { apiBaseUrl, loadTls } from "../http/tls.js";
import type { Notification } from "../core/notification.js";
import { openPostgresStore } from "../store/postgres.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { Supervisor } from "../supervisor/supervisor.js";
import { type NotificationHub, createNotificationHub } from "../notifiers/index.js";
import { RepairService } from "../repair/service.js";
import { createTaskRuntime } from "../tasks/runtime.js";
import { createOpsControl } from "./ops-control.js";
import type { DaemonContext } from "./context.js";
import { type DaemonLock, acquireDaemonLock } from "./lock.js";
import { BotDirectory } from "./bot-directory.js";
import { listen } from "./listen.js";
import { Loops } from "./loops.js";
import { housekeeping } from "./housekeeping.js";
import { countUsage, createMetrics } from "./metrics.js";
import { countFleetEvent } from "./fleet-metrics.js";
import { CanaryBoard } from "./canary-board.js";
import { checkServices } from "./check-services.js";
import { startRetention } from "./retention.js";
import { checkReadiness } from "./readiness.js";
import { Vault } from "../vault/vault.js";
import { BackupScheduler } from "../backup/schedule.js";
import { createHosts } from "./hosts.js";
import { startSingletons } from "./singletons.js";

export interface Daemon {
  readonly context: DaemonContext;
  /** The address the HTTP server listens on. */
  readonly url: string;
  /** Stops loops, drains HTTP, persists pending events, closes the store, releases the lock. Idempotent. */
  stop(reason: string): Promise<void>;
}

/**
 * Starts clawops: store, event bus, loops, HTTP. Fails with an `OpsError`
 * and leaves nothing half-made behind: whatever it created is undone.
 */
export async function startDaemon(
  config: ClawopsConfig,
  log: Logger,
  options: { configFile?: string | null } = {},
): Promise<Daemon> {
  const undo: (() => Promise<void> | void)[] = [];
  const rollback = async () => {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
  };
  try {
    return await start(config, log, undo, options.configFile ?? null);
  } catch (error) {
    await rollback();
    throw error;
  }
}

async function start(
  config: ClawopsConfig,
  log: Logger,
  undo: (() => Promise<void> | void)[],
  configFile: string | null,
): Promise<Daemon> {
  const startedAt = Date.now();
  const httpUrl = apiBaseUrl(config.http);
  checkExposure(config.http);
  const tls = loadTls(config.http);

  // A remote database is checked before anything is written locally.
  let store: Store | null = config.database.url
    ? await openPostgresStore(config.database.url, config.database.connectTimeout)
    : null;
  if (store) undo.push(() => store!.close());

  const createdDataDir = !existsSync(config.dataDir);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  if (createdDataDir) undo.push(() => removeIfOnlyOurs(config.dataDir));
  const lock: DaemonLock = acquireDaemonLock(config.dataDir, httpUrl);
  undo.push(() => lock.release());

  if (!store) {
    store = openSqliteStore(config.database.sqlitePath!);
    undo.push(() => store!.close());
  }
  const migration = await store.migrate();
  log.info({ store: store.dialect, location: store.location, ...migration }, "store.ready");

  const metrics = createMetrics();
  // Before anything reads the registry by host: bots without one become this host's.
  const fleet = createHosts({ config, store, log, metrics, httpUrl, startedAt });
  await fleet.hosts.register();
  const persist = store.appendEvents.bind(store);
  const bus = new EventBus(
    async (batch) => {
      const stored = await persist(batch);
      metrics.eventsWritten.inc(stored.length);
      return stored;
    },
    log.child({ part: "events" }),
  );
  const loops = new Loops(log.child({ part: "loops" }));
  const abort = new AbortController();
  undo.push(() => abort.abort());

  // Bot names by id, and organisations by bot name, for metrics, the realtime rooms and notifiers.
  const directory = new BotDirectory(bus);
  const realtime = new RealtimeHub({
    botName: (id) => directory.nameOf(id),
    botOrg: (name) => directory.orgOf(name),
    fleetOrg: DEFAULT_ORG,
    // Read only once connections are open, after `access` exists below.
    stillValid: (credential) => access.stillValid(credential),
    log: log.child({ part: "realtime" }),
    metrics,
  });
  undo.push(() => realtime.close());
  // With a shared Redis, the feed also carries this instance's traffic to the others (below).
  let feed: RealtimeFeed = realtime;
  bus.subscribe((event) => feed.publish(event));

  // Off the loop: a large config's parse takes hundreds of ms (a small one stays here).
  const doctor = new DoctorService(
    config,
    () => store.listBots(),
    new DoctorRouter({
      deadlineMs: 4 * config.openclaw.timeout,
      log: log.child({ part: "doctor" }),
    }),
  );
  undo.push(() => doctor.close());
  const canary = new CanaryBoard(bus, metrics, (id) => directory.nameOf(id));

  const supervisor: Supervisor = new Supervisor({
    config,
    store,
    bus,
    log: log.child({ part: "supervisor" }),
    activeTurns: (bot: Bot): Promise<number | null> => ingest.activeTurns(bot.id),
    onCheck: (bot, check, ok, durationMs) => {
      metrics.fleet.checkDuration.observe({ bot: bot.name, check }, durationMs / 1000);
      metrics.fleet.checkFailures.inc({ bot: bot.name, check }, ok ? 0 : 1);
    },
    checkServices: checkServices(config, store),
    ...(fleet.scope === undefined ? {} : { host: fleet.scope }),
    ...(config.supervisor.doctorBeforeStart
      ? {
          preflight: (bot: Bot, options?: { planned?: boolean }) =>
            doctor.assertStartable(bot, options),
        }
      : {}),
  });
  undo.push(() => supervisor.shutdown());

  // The hub needs the repair service (for chat commands) and the service the hub (to notify).
  let hub: NotificationHub | null = null;
  // What operators are told goes to the notifiers and to the realtime notifications rooms.
  // The hub's deduplication and rate limit hold back the same from both.
  const tell = (notification: Notification) => {
    const admitted = hub ? hub.notify(notification) : notification;
    if (admitted) feed.notify(admitted);
  };
  const repair = new RepairService({
    config,
    store,
    bus,
    log: log.child({ part: "repair" }),
    supervisor,
    doctor,
    notify: tell,
    ...(fleet.scope === undefined ? {} : { host: fleet.scope }),
  });
  undo.push(() => repair.close());
  await repair.start();
  const notifier = createNotificationHub(config.notify, {
    log: log.child({ part: "notify" }),
    control: (org) =>
      createOpsControl(
        // The approvals are built after the hub (they notify through it): read when a chat decides.
        {
          config,
          store,
          supervisor,
          repair,
          approvals: { decide: (...a) => approvals.decide(...a) },
          hosts: fleet.hosts,
          credential: () => readLocalCredential(config.dataDir),
        },
        org,
      ),
    botOrg: (name) => directory.orgOf(name),
    fleetOrg: DEFAULT_ORG,
  });
  hub = notifier;
  undo.push(() => notifier.close());
  for (const issue of notifier.issues()) log.error({ ...issue }, "notify.config_issue");

  const ingest: IngestService = new IngestService({
    settings: config.ingest,
    store,
    bus,
    log: log.child({ part: "ingest" }),
    // This host's gateways: another host's daemon follows its own.
    instances: () => supervisor.ownInstances(),
    envFor: (bot) => gatewayEnv(config.supervisor.env, bot),
    secretsFor: (bot) => gatewaySecrets(config.supervisor.env, bot),
    // Read once a gateway is followed (ingest.start() below), when `approvals` exists.
    capsFor: (bot) => approvals.capsFor(bot),
    onGatewayEvent: (bot, frame) => approvals.onGatewayEvent(bot, frame),
  });
  undo.push(() => ingest.close());
  // The approvals ride on the ingest's connection to each gateway: its route and its calls.
  const approvals = new ApprovalService({
    config: config.approvals,
    bus,
    log: log.child({ part: "approvals" }),
    gateway: ingest,
    notify: tell,
  });
  bus.subscribe((event) => {
    countFleetEvent(metrics.fleet, event, (id) => directory.nameOf(id));
    if (event.type !== "session.message" || !event.data.tokens || !event.botId) return;
    const bot = directory.nameOf(event.botId) ?? event.botId;
    countUsage(metrics, bot, event.data.model, event.data.tokens, event.data.costUsd ?? 0);
  });
  const budgets = new BudgetService({
    budgets: config.budgets,
    store,
    bus,
    log: log.child({ part: "budget" }),
    notify: tell,
  });
  undo.push(() => budgets.close());

  const taskRuntime = createTaskRuntime({
    config,
    store,
    bus,
    log,
    ingestIdle: () => ingest.idle(),
    ...(fleet.scope === undefined ? {} : { host: fleet.scope }),
  });
  undo.push(() => taskRuntime.close());

  const redis = config.redis.url ? await connectRedis(config.redis.url, log) : null;
  if (redis) undo.push(() => redis.disconnect());
  const relay = await startInstanceRelay({
    redis,
    databaseUrl: config.database.url,
    hub: realtime,
    log,
  });
  if (relay) {
    undo.push(() => relay.close());
    feed = relay;
  }
  const access = await startAccess({ store, dataDir: config.dataDir, url: httpUrl, log });
  // For /readyz: its keys are read once, as the daemon's own vault calls read them.
  const vault = Vault.open(store.vault, config.vault);
  access.onRevoked((revoked) => feed.revoke(revoked));
  const backups = config.backups.enabled
    ? new BackupScheduler({
        config,
        configFile,
        listBots: () => store.listBots(),
        log: log.child({ part: "backup" }),
      })
    : null;

  const context: DaemonContext = {
    config,
    version: CLAWOPS_VERSION,
    startedAt,
    store,
    bus,
    loops,
    metrics,
    supervisor,
    doctor,
    registry: {
      store,
      bus,
      dataDir: config.dataDir,
      portBase: config.fleet.portBase,
      portSpacing: config.fleet.portSpacing,
      host: fleet.id,
    },
    repair,
    notifier,
    ingest,
    approvals,
    budgets,
    tasks: taskRuntime.tasks,
    schedules: taskRuntime.schedules,
    access,
    redis,
    realtime,
    canary,
    hosts: fleet.hosts,
    readiness: async () => {
      const exposed = exposureWarning(config.http);
      return checkReadiness({
        store: store,
        bus,
        loops,
        notifierIssues: () => notifier.issues(),
        vault: () => vault.status(),
        certificate:
          tls && config.http.tls ? { file: config.http.tls.cert, validTo: tls.validTo } : null,
        extra: {
          ...(exposed ? { http: { ok: true, warning: exposed } } : {}),
          ...(backups ? { backups: backups.status() } : {}),
        },
      });
    },
  };

  const declared = await syncDeclaredBots(context.registry, config.fleet.bots);
  if (declared.created.length + declared.updated.length > 0)
    log.info(declared, "fleet.declared_synced");
  directory.learn(await store.listBots());

  loops.every("housekeeping", config.daemon.selfCheckPeriod, abort.signal, () =>
    housekeeping(context, (bots) => directory.learn(bots)),
  );
  fleet.hosts.start(loops, abort.signal);
  startRetention(loops, abort.signal, { config, store, log });

  taskRuntime.start(loops, abort.signal);
  backups?.start(loops, abort.signal);

  loops.every("realtime-heartbeat", HEARTBEAT_MS, abort.signal, async () => realtime.heartbeat());
  // Revocations made outside this daemon (the CLI writes the store directly) close sockets too.
  loops.every("realtime-credentials", REVALIDATE_MS, abort.signal, () => realtime.revalidate());

  const app = buildHttpServer(context, log.child({ part: "http" }), tls);
  undo.push(() => app.close());
  await listen(app, config.http.host, config.http.port);

  // Not awaited: a store that stalls right now must not stall start-up (the bus retries).
  bus.publish({
    type: "daemon.started",
    actor: "daemon",
    data: { pid: process.pid, version: CLAWOPS_VERSION, http: httpUrl, store: store.dialect },
  });
  log.info(
    {
      http: httpUrl,
      pid: process.pid,
      version: CLAWOPS_VERSION,
      localCredential: localCredentialPath(config.dataDir),
    },
    "daemon.started",
  );
  // The Telegram poller, budgets and schedules run on the fleet's leader only (docs/hosts.md).
  const leading = fleet.lead(abort.signal, (term) =>
    startSingletons(term, {
      config,
      loops,
      log,
      notifier,
      budgets,
      startSchedules: (runner, term) => taskRuntime.startSchedules(runner, term),
    }),
  );
  // Not awaited: it connects to the gateways that are live now, the rest as they come up.
  ingest.start().catch((error: unknown) => {
    log.error({ err: errorMessage(error) }, "ingest.start_failed");
  });
  // Not awaited: gateways take seconds to boot; their progress is in their states.
  const resumed = supervisor.resumeAll().catch((error: unknown) => {
    log.error({ err: errorMessage(error) }, "supervisor.resume_failed");
  });

  let stopping: Promise<void> | null = null;
  const stop = (reason: string) =>
    (stopping ??= (async () => {
      log.info({ reason }, "daemon.stopping");
      abort.abort();
      // A repair in progress ends at its next step; an API call waiting for one then answers.
      const repairsClosed = repair.close();
      // Open sockets and event streams would hold the server's close until they end.
      realtime.close();
      await app.close();
      await loops.settled();
      await leading;
      await resumed;
      await repairsClosed;
      // Attempts in flight stay running on their gateways: the next start follows them again.
      await taskRuntime.close();
      ingest.close();
      await budgets.close();
      await supervisor.shutdown();
      await doctor.close();
      bus.publish({
        type: "daemon.stopped",
        actor: "daemon",
        data: { reason, uptimeMs: Date.now() - startedAt },
      });
      const { left } = await bus.flush(config.daemon.shutdownTimeout);
      if (left > 0) log.error({ left }, "events.unflushed");
      // It delivers what is queued (5 s at most) before it closes.
      await notifier.close();
      await relay?.close();
      bus.close();
      await store.close();
      lock.release();
      log.info({ reason }, "daemon.stopped");
    })());
  return { context, url: httpUrl, stop };
}

/** Removes a data dir this start created, unless something else has appeared in it. */
function removeIfOnlyOurs(dir: string): void {
  const ours = /^(clawops\.lock|clawops\.db(-wal|-shm|-journal)?|cli-credential|setup-link)$/;
  if (readdirSync(dir).every((name) => ours.test(name)))
    rmSync(dir, { recursive: true, force: true });
}
