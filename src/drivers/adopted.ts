import type { GatewayDriver } from "./driver.js";
import { findRunningGateway } from "./discover.js";
import { processDriver } from "./process.js";
import { stopGroup, watchPid } from "./watch.js";

/**
 * A gateway that runs on its own (started by hand, a script or a service
 * manager): found through its lock file or the listener on its port, watched
 * by pid with the /proc start time against pid reuse. Its exit status is not
 * knowable (it is not clawops's child). When none is running, clawops starts
 * one the way the process driver does, so `start` and `restart` always work.
 */
export function adoptedDriver(options: { pollMs?: number; signal?: AbortSignal } = {}) {
  const spawner = processDriver(options);
  const driver: GatewayDriver = {
    kind: "adopted",
    start(context) {
      const running = findRunningGateway(context.bot, { anyGatewayOnPort: true });
      const attached = running && watchPid(running.pid, running.startTime, options);
      return attached ? Promise.resolve(attached) : spawner.start(context);
    },
    attach: (pid, startTime) => watchPid(pid, startTime, options),
    stop: stopGroup,
  };
  return driver;
}
