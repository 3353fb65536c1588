import net from "node:net";

/**
 * `net.connect(options)`, without its cost on Node 20: `net.connect` hands its options to the
 * `Socket` constructor, which copies them with an object spread and adds four fields, and
 * V8 builds fresh hidden classes for that copy on every call (~2 KB of maps, descriptors and
 * inline-cache handlers a socket, in the old generation until a full GC). A socket made
 * without options and then connected takes the shared ones: at 100 gateways, probed twice
 * every 5 s, that was most of what the daemon's old generation grew by between full GCs.
 * `options` are those of `socket.connect` (`host`, `port`, ...); `timeout` as in `net.connect`.
 */
export function tcpConnect(options: net.TcpNetConnectOpts): net.Socket {
  const socket = new net.Socket();
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket.connect(options);
}

/**
 * `tcpConnect` as an HTTP client's `createConnection` (ws's upgrade request), which ws
 * would otherwise make with `net.connect`: the request's host, port and timeout.
 */
export function httpConnection(options: {
  host?: string | null;
  port?: number | string | null;
  timeout?: number;
}): net.Socket {
  return tcpConnect({
    host: options.host ?? "localhost",
    port: Number(options.port),
    ...(options.timeout ? { timeout: options.timeout } : {}),
  });
}
