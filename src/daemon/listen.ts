import type { FastifyInstance } from "fastify";
import { OpsError, errorMessage } from "../core/errors.js";
import { describeListener, findTcpListener } from "../system/proc.js";

/**
 * Starts the HTTP server listening; a port in use is a `PORT_IN_USE` naming
 * its holder, an address this host does not have a `CONFIG_INVALID`.
 */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      const holder = findTcpListener(port);
      throw new OpsError(
        "PORT_IN_USE",
        `cannot listen on ${host}:${port}: the port is already in use${holder ? ` by ${describeListener(holder)}` : ""}; set http.port in clawops.yaml or CLAWOPS_HTTP_PORT`,
        { details: { host, port, pid: holder?.pid ?? null } },
      );
    }
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
      throw new OpsError(
        "CONFIG_INVALID",
        `cannot listen on ${host}:${port}: ${errorMessage(error)} (http.host)`,
      );
    }
    throw error;
  }
}
