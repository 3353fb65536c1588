import type { AccessService } from "../access/service.js";
import type { ApprovalService } from "../approvals/service.js";
import type { Redis } from "ioredis";
import type { BudgetService } from "../budget/service.js";
import type { ClawopsConfig } from "../config/schema.js";
import type { DoctorService } from "../doctor/service.js";
import type { EventBus } from "../events/bus.js";
import type { IngestService } from "../ingest/service.js";
import type { RealtimeHub } from "../http/realtime/hub.js";
import type { NotificationHub } from "../notifiers/index.js";
import type { RepairService } from "../repair/service.js";
import type { RegistryDeps } from "../fleet/registry.js";
import type { Store } from "../store/store.js";
import type { Supervisor } from "../supervisor/supervisor.js";
import type { ScheduleService } from "../tasks/schedules.js";
import type { TaskService } from "../tasks/service.js";
import type { CanaryBoard } from "./canary-board.js";
import type { Loops } from "./loops.js";
import type { Metrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";
import type { FleetHosts } from "../hosts/fleet-hosts.js";

/** Everything the daemon built, handed to the HTTP layer (and later the WebSocket and dashboard). */
export interface DaemonContext {
  config: ClawopsConfig;
  version: string;
  /** Epoch ms. */
  startedAt: number;
  store: Store;
  bus: EventBus;
  loops: Loops;
  metrics: Metrics;
  supervisor: Supervisor;
  doctor: DoctorService;
  repair: RepairService;
  notifier: NotificationHub;
  ingest: IngestService;
  budgets: BudgetService;
  /** OpenClaw's exec approvals routed to clawops, and its policy. */
  approvals: ApprovalService;
  /** Tasks (Mission Control) and their dispatch. */
  tasks: TaskService;
  /** Schedules that make tasks unattended. */
  schedules: ScheduleService;
  registry: RegistryDeps;
  /** Users, tokens, logins: who a request is. */
  access: AccessService;
  /** The shared Redis (`redis.url`): rate limits and realtime events across instances; null without one. */
  redis: Redis | null;
  /** The realtime API's rooms and connections (`/ws`, the SSE stream). */
  realtime: RealtimeHub;
  /** Each bot's last canary run (supervisor.checks.canary). */
  canary: CanaryBoard;
  /** This daemon's host, the fleet's hosts, leadership and forwarding (docs/hosts.md). */
  hosts: FleetHosts;
  readiness(): Promise<Readiness>;
}
