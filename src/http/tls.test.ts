import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { refusal } from "../../test/helpers/refusal.js";
import { type TestCertificate, makeCertificate, opensslAvailable } from "../../test/helpers/tls.js";
import { configSchema } from "../config/schema.js";
import { checkExposure, exposureWarning } from "./exposure.js";
import { apiBaseUrl, clientTrust, loadTls } from "./tls.js";

const http = (settings: Record<string, unknown>) => configSchema.parse({ http: settings }).http;

describe.runIf(opensslAvailable())("http.tls", () => {
  const scratch = tempDir("clawops-tls-");
  let one: TestCertificate;
  let two: TestCertificate;
  beforeAll(async () => {
    one = await makeCertificate(scratch.dir, "one", ["clawops.test", "127.0.0.1"]);
    two = await makeCertificate(scratch.dir, "two", ["other.test"]);
  });
  afterAll(() => scratch.remove());

  it("loads a matching pair; the API is then https and may listen beyond loopback", () => {
    const settings = http({ host: "0.0.0.0", tls: { cert: one.cert, key: one.key } });
    const material = loadTls(settings)!;
    expect(material.cert).toContain("-----BEGIN CERTIFICATE-----");
    expect(material.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(apiBaseUrl(settings)).toMatch(/^https:\/\/0\.0\.0\.0:/);
    expect(() => checkExposure(settings)).not.toThrow();
    expect(exposureWarning(settings)).toBeNull();
    expect(loadTls(http({}))).toBeNull();
    const trust = clientTrust(settings)!;
    expect(trust.fingerprint256).toBe(material.fingerprint256);
    expect(trust.ca.at(-1)).toBe(material.cert);
  });

  it("refuses at start, naming the setting and the file: missing, unreadable, not PEM, not the certificate's key", () => {
    const fail = (tls: Record<string, string>) =>
      refusal(() => loadTls(http({ tls })), [] as string[]);
    const missing = fail({ cert: path.join(scratch.dir, "nope.crt"), key: one.key });
    expect(missing).toMatchObject({ code: "CONFIG_INVALID" });
    expect(missing.message).toBe(
      `http.tls.cert: ${path.join(scratch.dir, "nope.crt")} does not exist`,
    );

    const garbage = path.join(scratch.dir, "garbage.pem");
    writeFileSync(garbage, "not a certificate\n");
    expect(fail({ cert: garbage, key: one.key }).message).toBe(
      `http.tls.cert: ${garbage} is not a PEM X.509 certificate ("-----BEGIN CERTIFICATE-----")`,
    );
    expect(fail({ cert: one.cert, key: garbage }).message).toMatch(
      /^http\.tls\.key: .* is not an unencrypted PEM private key/,
    );
    const mismatch = fail({ cert: one.cert, key: two.key });
    expect(mismatch.message).toBe(
      `http.tls.key: ${two.key} is not the key of the certificate ${one.cert} (the pair does not match: check that both come from the same issuance)`,
    );
    expect(mismatch.issues).toEqual([
      expect.objectContaining({ path: "http.tls.key", severity: "error" }),
    ]);
    // The key's content never travels in a message.
    expect(mismatch.message).not.toContain("PRIVATE KEY");

    if (process.getuid?.() !== 0) {
      const locked = path.join(scratch.dir, "locked.key");
      writeFileSync(locked, "x", { mode: 0o000 });
      chmodSync(locked, 0o000);
      expect(fail({ cert: one.cert, key: locked }).message).toMatch(
        /^http\.tls\.key: .*locked\.key cannot be read by this user/,
      );
    }
  });
});
