import { describe, expect, it } from "vitest";
import type { VaultStatus } from "../vault/vault.js";
import { certificateVerdict, vaultVerdict } from "./readiness-secrets.js";

const DAY = 24 * 3_600_000;
const now = Date.parse("2026-12-01T00:00:00Z");
const cert = (validTo: number) => ({
  file: "/etc/clawops/tls.crt",
  validTo: new Date(validTo).toISOString(),
});

describe("certificateVerdict", () => {
  it("is ready and quiet with more than 14 days left", () => {
    expect(certificateVerdict(cert(now + 90 * DAY), now)).toEqual({
      ok: true,
      validTo: "2027-03-01T00:00:00.000Z",
      daysLeft: 90,
    });
  });

  it("warns in the last 14 days, naming the file and the date", () => {
    const verdict = certificateVerdict(cert(now + 3 * DAY + 3_600_000), now);
    expect(verdict.ok).toBe(true);
    expect(verdict.warning).toBe(
      "the served certificate (/etc/clawops/tls.crt) expires in 3 day(s), at 2026-12-04T01:00:00.000Z: renew it and restart clawops",
    );
  });

  it("is not ready once expired", () => {
    const verdict = certificateVerdict(cert(now - 1), now);
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toContain("expired at 2026-11-30T23:59:59.999Z");
  });
});

function status(overrides: Partial<VaultStatus>): VaultStatus {
  return {
    currentKeyId: "primary",
    keys: [],
    unknownKeys: [],
    records: 0,
    toRotate: 0,
    problems: [],
    ...overrides,
  };
}

describe("vaultVerdict", () => {
  it("needs no key while the vault keeps nothing", () => {
    const missing = ["environment variable CLAWOPS_VAULT_KEY is not set"];
    expect(vaultVerdict(status({ problems: missing }))).toEqual({
      ok: true,
      records: 0,
      currentKeyId: "primary",
    });
  });

  it("is not ready while records cannot be read", () => {
    const problem =
      '2 record(s) under key id "old", which is not configured: add that key to vault.keys';
    const verdict = vaultVerdict(status({ records: 3, toRotate: 2, problems: [problem] }));
    expect(verdict).toMatchObject({ ok: false, reason: `vault: ${problem}`, records: 3 });
  });

  it("warns of records left under an older key", () => {
    expect(vaultVerdict(status({ records: 3, toRotate: 1 }))).toMatchObject({
      ok: true,
      warning: expect.stringContaining("run clawops vault rotate") as string,
    });
  });
});
