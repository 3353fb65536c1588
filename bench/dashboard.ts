/**
 * The dashboard's first page, as built (`npm run build`): the files `index.html` loads and
 * their gzip sizes, against issue 17's budget of 300 KiB gzip for the first page.
 *
 *   npm run build && npm run bench:dashboard
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { DASHBOARD_DIR } from "../src/http/dashboard.js";
import { machine } from "./stats.js";

const BUDGET_KIB = 300;

const html = readFileSync(path.join(DASHBOARD_DIR, "index.html"), "utf8");
const files = [
  "index.html",
  ...[...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!),
];
let raw = 0;
let gzip = 0;
console.log("file                                   bytes    gzip");
for (const file of files) {
  const body = readFileSync(path.join(DASHBOARD_DIR, file));
  const packed = gzipSync(body, { level: 9 }).length;
  raw += body.length;
  gzip += packed;
  console.log(
    `${file.padEnd(36)} ${String(body.length).padStart(8)} ${String(packed).padStart(7)}`,
  );
}
const kib = (n: number) => (n / 1024).toFixed(1);
console.log(
  `first page: ${kib(raw)} KiB, ${kib(gzip)} KiB gzip (target <= ${BUDGET_KIB} KiB gzip: ${gzip / 1024 <= BUDGET_KIB ? "ok" : "MISSED"})`,
);
console.log(`machine: ${await machine()}`);
