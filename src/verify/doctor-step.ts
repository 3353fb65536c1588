import type { DoctorTarget } from "../doctor/rule.js";
import type { DoctorService } from "../doctor/service.js";
import type { VerifyTarget } from "./verify.js";

/**
 * verify's doctor step on a registered bot: clawops's doctor with every rule
 * (OpenClaw's own lint too), as counts and the first errors' words.
 */
export function botDoctor(
  doctor: DoctorService,
  target: DoctorTarget,
): NonNullable<VerifyTarget["doctor"]> {
  return async () => {
    const report = await doctor.check(target, { speed: "all" });
    return {
      errors: report.counts.error,
      warnings: report.counts.warning,
      messages: report.findings
        .filter((f) => f.severity === "error")
        .map((f) => `${f.id}: ${f.message}`),
    };
  };
}
