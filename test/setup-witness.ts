import { witnessText } from "./helpers/witness.js";

/**
 * Every answer a test fetches from clawops's API goes to the witness
 * (helpers/witness.ts). clawops marks each of its answers with `x-request-id`;
 * a gateway's or a fake's answers are not clawops's to keep clean.
 */
const fetchAsTests = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await fetchAsTests(input, init);
  const type = response.headers.get("content-type") ?? "";
  if (response.headers.has("x-request-id") && !type.includes("event-stream")) {
    const url = new URL(input instanceof Request ? input.url : input);
    witnessText(
      "served",
      `${init?.method ?? "GET"} ${url.pathname}`,
      await response.clone().text(),
    );
  }
  return response;
};
