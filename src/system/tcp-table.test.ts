import { writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../../test/helpers/cli.js";
import { listeningInodes } from "./tcp-table.js";

const temp = tempDir("clawops-tcp-table-");
afterAll(() => temp.remove());

const HEADER =
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

/** One line as the kernel pads it (150 bytes with the newline). */
function line(sl: number, local: string, remote: string, state: string, inode: number): string {
  const text = `${String(sl).padStart(4)}: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 100 0 0 10 0`;
  return text.padEnd(149);
}

function table(lines: string[]): string {
  const file = path.join(temp.dir, `tcp-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, [HEADER.padEnd(149), ...lines, ""].join("\n"));
  return file;
}

describe("listeningInodes", () => {
  it("finds the listening socket of the port among thousands of others, across chunks", () => {
    const lines: string[] = [];
    // 0x4E20 is 20000: connections to and from it (TIME_WAIT 06, ESTABLISHED 01) are not listeners.
    for (let i = 0; i < 3_000; i += 1) {
      lines.push(line(i, "0100007F:4E20", `0100007F:${(40_000 + i).toString(16)}`, "06", 0));
      lines.push(
        line(i, `0100007F:${(40_000 + i).toString(16)}`, "0100007F:4E20", "01", 9_000 + i),
      );
    }
    lines.splice(4_321, 0, line(9, "0100007F:4E20", "00000000:0000", "0A", 123_456));
    lines.push(line(10, "00000000:4E21", "00000000:0000", "0A", 777));
    const file = table(lines);
    expect(listeningInodes(file, 20_000)).toEqual(["123456"]);
    expect(listeningInodes(file, 20_001)).toEqual(["777"]);
    expect(listeningInodes(file, 20_002)).toEqual([]);
  });

  it("reads IPv6 tables, a last line without a newline, and a missing table", () => {
    const v6 = `${"0".repeat(24)}0100007F`;
    const file = path.join(temp.dir, "tcp6");
    writeFileSync(
      file,
      `${HEADER}\n${line(0, `${v6}:4E20`, `${"0".repeat(32)}:0000`, "0A", 42)}\n${line(1, `${v6}:4E22`, `${"0".repeat(32)}:0000`, "0A", 43)}`,
    );
    expect(listeningInodes(file, 20_000)).toEqual(["42"]);
    expect(listeningInodes(file, 20_002)).toEqual(["43"]);
    expect(listeningInodes(path.join(temp.dir, "nothing"), 20_000)).toEqual([]);
  });

  it("finds a real listener in /proc/net/tcp", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(listeningInodes("/proc/net/tcp", port)).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
