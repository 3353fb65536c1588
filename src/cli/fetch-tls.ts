import { request } from "node:https";
import type { PeerCertificate } from "node:tls";
import type { TlsTrust } from "../http/tls.js";

export interface TlsAnswer {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}

/**
 * A `fetch` for the daemon's HTTPS (Node's own fetch takes no CA): the chain
 * must verify against `trust.ca` (verification is never turned off), and the
 * certificate must be the one of `http.tls.cert`, whatever name the CLI
 * dialled (often 127.0.0.1, which a certificate for a DNS name does not
 * list). Rejects as fetch does: `AbortError` on the signal, the socket's
 * error otherwise.
 */
export function fetchTls(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
  trust: TlsTrust,
): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method,
        headers: init.headers,
        signal: init.signal,
        ca: trust.ca,
        checkServerIdentity: (_host: string, cert: PeerCertificate) =>
          cert.fingerprint256 === trust.fingerprint256
            ? undefined
            : new Error(
                `the daemon presented the certificate ${cert.fingerprint256}, not the one in http.tls.cert (${trust.fingerprint256}): renewed? restart the daemon`,
              ),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            ok: status >= 200 && status < 300,
            status,
            json: () => Promise.resolve().then(() => JSON.parse(text) as unknown),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}
