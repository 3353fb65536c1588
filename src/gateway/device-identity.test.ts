import { createHash, createPublicKey, verify } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { DeviceKeyring, createDeviceIdentity, signDevice } from "./device-identity.js";

const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
function scratch() {
  const d = tempDir("clawops-keyring-");
  dirs.push(d);
  return d.dir;
}

describe("device identity", () => {
  it("derives the device id from the raw public key and signs the v3 payload", () => {
    const identity = createDeviceIdentity();
    const raw = Buffer.from(identity.publicKey, "base64url");
    expect(raw).toHaveLength(32);
    expect(identity.deviceId).toBe(createHash("sha256").update(raw).digest("hex"));
    const fields = {
      clientId: "gateway-client",
      clientMode: "backend",
      role: "operator",
      scopes: ["operator.read", "operator.admin"],
      signedAtMs: 1795317282957,
      token: "tok",
      nonce: "n-1",
      platform: " Linux ",
    };
    const signature = signDevice(identity, fields);
    const payload = `v3|${identity.deviceId}|gateway-client|backend|operator|operator.read,operator.admin|1795317282957|tok|n-1|linux|`;
    const publicKey = createPublicKey(identity.privateKey);
    expect(verify(null, Buffer.from(payload), publicKey, Buffer.from(signature, "base64url"))).toBe(
      true,
    );
  });

  it("keeps one identity per install in a 0600 file, with device tokens per gateway", () => {
    const file = path.join(scratch(), "device-identity.json");
    const keyring = DeviceKeyring.open(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    keyring.saveDeviceToken("ws://10.0.0.5:18789/", "dt-1", ["operator.read"]);
    const reopened = DeviceKeyring.open(file);
    expect(reopened.identity.deviceId).toBe(keyring.identity.deviceId);
    expect(reopened.deviceToken("ws://10.0.0.5:18789")).toBe("dt-1");
    expect(reopened.deviceToken("ws://10.0.0.6:18789/")).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("refuses a damaged keyring and leaves it as it was", () => {
    const file = path.join(scratch(), "damaged.json");
    writeFileSync(file, "{ not json");
    expect(() => DeviceKeyring.open(file)).toThrow(/damaged\.json: not a readable keyring/);
    writeFileSync(file, JSON.stringify({ version: 2 }));
    expect(() => DeviceKeyring.open(file)).toThrow(/not a clawops device keyring/);
    expect(readFileSync(file, "utf8")).toBe(JSON.stringify({ version: 2 }));
  });
});
