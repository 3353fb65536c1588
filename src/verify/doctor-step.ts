import type { DoctorTarget } from "../doctor/rule.js";
import type { DoctorService } from "../doctor/service.js";
import type { VerifyTarget } from "./verify.js";

/**
 * verify's doctor step on a registered bot: clawops's doctor, as counts and
 * the first errors' words. `fast`: its own rules (OpenClaw's JSON Schema,
 * provider credentials, bind safety, the token, legacy files: tens of ms);
 * `all` adds OpenClaw's own lint (`openclaw doctor --lint`: 5 s idle, 15-25 s
 * beside a browser and a chat turn), which a running gateway passed at its
 * boot anyway.
 */
export function botDoctor(
  doctor: DoctorService,
  target: DoctorTarget,
  speed: "fast" | "all" = "fast",
): NonNullable<VerifyTarget["doctor"]> {
  return async () => {
    const report = await doctor.check(target, { speed });
    return {
      errors: report.counts.error,
      warnings: report.counts.warning,
      messages: report.findings
        .filter((f) => f.severity === "error")
        .map((f) => `${f.id}: ${f.message}`),
    };
  };
}
