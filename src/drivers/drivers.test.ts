import { adoptedDriver } from "./adopted.js";
import { describeDriverContract } from "./drivers.contract.js";
import { processDriver } from "./process.js";

describeDriverContract("process", () => processDriver({ pollMs: 20 }));
describeDriverContract("adopted", () => adoptedDriver({ pollMs: 20 }));
