import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import { writeLocalCredential } from "./local-credential.js";
import { AccessService } from "./service.js";
import {
  FirstOwnerSetup,
  removeSetupLink,
  setupLink,
  setupLinkPath,
  writeSetupLink,
} from "./setup.js";

/**
 * Team access as the daemon starts: the local CLI's credential (a new one
 * each start, docs/access.md) and, while there is no user yet, a one-time
 * setup link for the first owner. Both secrets go to files of the daemon's
 * account in `dataDir` (mode 0600), never to the log.
 */
export async function startAccess(deps: {
  store: Store;
  dataDir: string;
  /** The daemon's own address, that the setup link points at. */
  url: string;
  log: Logger;
}): Promise<AccessService> {
  const { store, dataDir, log } = deps;
  const access = new AccessService({ store });
  writeLocalCredential(dataDir, await access.mintLocalCredential(dataDir));
  const setup = await new FirstOwnerSetup({ store, access }).mint();
  if (!setup) {
    removeSetupLink(dataDir);
    return access;
  }
  writeSetupLink(dataDir, setupLink(deps.url, setup.token));
  log.info(
    {
      setupLink: setupLinkPath(dataDir),
      expiresAt: setup.expiresAt,
      hint: "open the link in that file to create the first owner, or: clawops user add NAME --role owner",
      meanwhile: "the API answers the local CLI and API tokens",
    },
    "access.no_users",
  );
  return access;
}
