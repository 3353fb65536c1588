import { describe, expect, it } from "vitest";
import { binaryArrays } from "./pg-binary.js";

/** array_recv's reading of one array: header, then each element's bytes (null for SQL NULL). */
function decode(array: Buffer) {
  const elements: (Buffer | null)[] = [];
  let at = 20;
  for (let i = 0; i < array.readInt32BE(12); i++) {
    const length = array.readInt32BE(at);
    elements.push(length < 0 ? null : array.subarray(at + 4, at + 4 + length));
    at += 4 + Math.max(length, 0);
  }
  expect(at).toBe(array.length);
  return {
    dimensions: array.readInt32BE(0),
    hasNull: array.readInt32BE(4),
    oid: array.readInt32BE(8),
    lowerBound: array.readInt32BE(16),
    elements,
  };
}

describe("binaryArrays", () => {
  it("writes text as UTF-8, short or long, ASCII or not, and NULL", () => {
    const long = `${"x".repeat(70)}é`;
    const values = ["bot-1", "", "héllo", "🦀", long, null];
    const [array] = binaryArrays([["text", values]]);
    const decoded = decode(array!);
    expect(decoded).toMatchObject({ dimensions: 1, hasNull: 1, oid: 25, lowerBound: 1 });
    expect(decoded.elements.map((e) => e?.toString("utf8") ?? null)).toEqual(values);
  });

  it("writes int8 across 32 bits and below zero, int4 and float8", () => {
    const int8 = [0, 1, 2 ** 32 + 5, -1, -(2 ** 40) - 3, Number.MAX_SAFE_INTEGER];
    const [big, small, float] = binaryArrays([
      ["int8", int8],
      ["int4", [0, 1, -7]],
      ["float8", [0.0042, -1.5, null]],
    ]);
    const b = decode(big!);
    expect(b).toMatchObject({ hasNull: 0, oid: 20 });
    expect(b.elements.map((e) => Number(e!.readBigInt64BE()))).toEqual(int8);
    expect(decode(small!).elements.map((e) => e!.readInt32BE())).toEqual([0, 1, -7]);
    const f = decode(float!);
    expect(f).toMatchObject({ hasNull: 1, oid: 701 });
    expect(f.elements.map((e) => e?.readDoubleBE() ?? null)).toEqual([0.0042, -1.5, null]);
  });

  it("writes an empty array, and refuses a fraction where a whole number goes", () => {
    expect(decode(binaryArrays([["text", []]])[0]!).elements).toEqual([]);
    expect(() => binaryArrays([["int8", [1.5]]])).toThrow(/not a whole number/);
    expect(() => binaryArrays([["int4", [Number.NaN]]])).toThrow(/not a whole number/);
    expect(() => binaryArrays([["int4", [2 ** 31]]])).toThrow(/not a whole number/);
  });
});
