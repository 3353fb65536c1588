import type { RepairRecord, RepairStats } from "../core/repair.js";

function mean(values: number[]): number | null {
  return values.length === 0 ? null : Math.round(values.reduce((a, b) => a + b, 0) / values.length);
}

const ms = (iso: string) => Date.parse(iso);

/** Success, escalation and timing figures over repair records (dry runs left out). */
export function computeRepairStats(records: readonly RepairRecord[]): RepairStats {
  const real = records.filter((r) => !r.dryRun && r.outcome !== "running");
  const acted = real.filter((r) => r.outcome !== "skipped");
  const recovered = acted.filter((r) => r.outcome === "recovered");
  const escalated = acted.filter((r) => r.outcome === "escalated");
  const decided = recovered.length + escalated.length;
  const byTier = { "1": 0, "2": 0, "3": 0 };
  for (const r of recovered) if (r.tier > 0) byTier[String(r.tier) as "1" | "2" | "3"] += 1;
  return {
    total: acted.length,
    recovered: recovered.length,
    escalated: escalated.length,
    skipped: real.length - acted.length,
    successRate: decided === 0 ? null : recovered.length / decided,
    escalationRate: decided === 0 ? null : escalated.length / decided,
    meanTimeToDetectMs: mean(
      acted.filter((r) => r.trigger !== "manual").map((r) => ms(r.detectedAt) - ms(r.faultAt)),
    ),
    meanTimeToRecoverMs: mean(recovered.map((r) => ms(r.recoveredAt!) - ms(r.detectedAt))),
    byTier,
  };
}
