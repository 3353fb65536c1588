import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const OPENSSL = "/usr/bin/openssl";

/**
 * True when openssl is installed (node:crypto cannot make an X.509
 * certificate). Under CI=true a missing openssl throws: TLS suites must fail,
 * never skip, in CI.
 */
export function opensslAvailable(): boolean {
  const ok = existsSync(OPENSSL);
  if (!ok && process.env.CI === "true")
    throw new Error("openssl is missing under CI=true: install the Debian package openssl");
  return ok;
}

export interface TestCertificate {
  cert: string;
  key: string;
}

/**
 * A self-signed P-256 certificate and its key in `dir` (`<name>.crt`,
 * `<name>.key`, the key mode 600), for `names` (DNS names or IP addresses).
 * openssl runs with argv, never a shell.
 */
export async function makeCertificate(
  dir: string,
  name: string,
  names: readonly string[],
): Promise<TestCertificate> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  await run(
    OPENSSL,
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${names[0] ?? name}`,
      "-addext",
      `subjectAltName=${san}`,
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { env: { PATH: "/usr/bin:/bin", HOME: dir, RANDFILE: path.join(dir, ".rnd") } },
  );
  return { cert, key };
}
