import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { BudgetStatus } from "../../budget/ledger.js";
import type { Bot } from "../../core/bot.js";
import type { BudgetState } from "../../core/budget.js";
import type { OpsEvent } from "../../core/events.js";
import type { GatewayInstance } from "../../core/gateway-state.js";
import type { RepairPause, RepairRecord, RepairStats, RepairStatus } from "../../core/repair.js";
import type { MessageRecord, SessionRecord } from "../../core/session.js";
import type { Readiness } from "../../daemon/readiness.js";
import type { DoctorReport } from "../../doctor/run-doctor.js";
import type { CostFinding } from "../../ingest/reconcile.js";
import type { CostRow, SessionPage } from "../../store/session-store.js";
import type { Schedule, Task, TaskAnalytics, TaskRun } from "../../core/task.js";
import type { scheduleSchema, taskAnalyticsSchema, taskRunSchema, taskSchema } from "./tasks.js";
import type { botSchema, gatewaySchema, readinessSchema } from "./fleet.js";
import type {
  budgetStateSchema,
  budgetStatusSchema,
  doctorReportSchema,
  eventSchema,
  repairPauseSchema,
  repairSchema,
  repairStatsSchema,
  repairStatusSchema,
} from "./operations.js";
import type {
  costFindingsSchema,
  costSchema,
  messageSchema,
  sessionPageSchema,
  sessionSchema,
} from "./sessions.js";

/**
 * The answers' schemas describe the records the code returns, field for
 * field: a field added to a record without its schema (an answer that grows
 * undocumented) or a schema field the record lacks fails `npm run typecheck`.
 * The handlers' return types are checked against these schemas by the type
 * provider; this closes the other direction.
 */
describe("answer schemas match the records", () => {
  it("fleet", () => {
    expectTypeOf<z.output<typeof botSchema>>().toEqualTypeOf<Bot>();
    expectTypeOf<z.output<typeof gatewaySchema>>().toEqualTypeOf<GatewayInstance>();
    expectTypeOf<z.output<typeof readinessSchema>>().toEqualTypeOf<Readiness>();
  });
  it("sessions", () => {
    expectTypeOf<z.output<typeof sessionSchema>>().toEqualTypeOf<SessionRecord>();
    expectTypeOf<z.output<typeof messageSchema>>().toEqualTypeOf<MessageRecord>();
    expectTypeOf<z.output<typeof sessionPageSchema>>().toEqualTypeOf<SessionPage>();
    expectTypeOf<z.output<typeof costSchema>["rows"][number]>().toEqualTypeOf<CostRow>();
    expectTypeOf<
      z.output<typeof costFindingsSchema>["findings"][number]
    >().toEqualTypeOf<CostFinding>();
  });
  it("tasks", () => {
    expectTypeOf<z.output<typeof taskSchema>>().toEqualTypeOf<Task>();
    expectTypeOf<z.output<typeof taskRunSchema>>().toEqualTypeOf<TaskRun>();
    expectTypeOf<z.output<typeof scheduleSchema>>().toEqualTypeOf<Schedule>();
    expectTypeOf<z.output<typeof taskAnalyticsSchema>>().toEqualTypeOf<TaskAnalytics>();
  });
  it("operations", () => {
    expectTypeOf<z.output<typeof repairSchema>>().toEqualTypeOf<RepairRecord>();
    expectTypeOf<z.output<typeof repairStatsSchema>>().toEqualTypeOf<RepairStats>();
    expectTypeOf<z.output<typeof repairStatusSchema>>().toEqualTypeOf<RepairStatus>();
    expectTypeOf<z.output<typeof repairPauseSchema>>().toEqualTypeOf<RepairPause>();
    expectTypeOf<z.output<typeof budgetStatusSchema>>().toEqualTypeOf<BudgetStatus>();
    expectTypeOf<z.output<typeof budgetStateSchema>>().toEqualTypeOf<BudgetState>();
    expectTypeOf<z.output<typeof eventSchema>>().toEqualTypeOf<OpsEvent>();
  });
  it("doctor", () => {
    expectTypeOf<z.output<typeof doctorReportSchema>>().toEqualTypeOf<DoctorReport>();
  });
});
