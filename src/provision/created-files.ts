import { existsSync, rmSync, rmdirSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../system/files.js";

/** Files written by one provisioning, removed again when a later step fails. */
export interface CreatedFiles {
  /** `writeFileAtomic`, remembering the file. */
  write(file: string, data: string, mode?: number): void;
  /**
   * Removes what was written, and the state dir when this provisioning made
   * it (OpenClaw's CLI may have put its credential store there meanwhile).
   * Never throws: it runs while another error is on its way to the caller.
   */
  undo(): void;
}

/** Tracks the files of a provisioning whose state dir is `stateDir`. */
export function trackCreated(stateDir: string): CreatedFiles {
  const stateDirExisted = existsSync(stateDir);
  const written: string[] = [];
  return {
    write(file, data, mode) {
      writeFileAtomic(file, data, mode);
      written.push(file);
    },
    undo() {
      for (const file of written.reverse()) {
        rmSync(file, { force: true });
        if (path.dirname(file) === stateDir) continue;
        try {
          // The folder writeFileAtomic made for it (deploy/<bot>), when nothing else is in it.
          rmdirSync(path.dirname(file));
        } catch {
          // Not empty, or already gone: left as it is.
        }
      }
      if (!stateDirExisted) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
