/** Small pieces of the file family: mode parsing. */
import { describe, expect, test } from "bun:test";
import { Mode } from "../../lib/library/attributes.ts";

describe("Mode.parse", () => {
  test.each([
    [0o755, 0o755],
    ["755", 0o755],
    ["0640", 0o640],
    ["rwxr-xr-x", 0o755],
    ["rw-------", 0o600],
    ["rwxrwxrwx", 0o777],
    ["---------", 0],
  ])("%p → %o", (input, bits) => {
    expect(Mode.parse(input)).toBe(bits);
  });

  test.each([["999"], ["rwxrwxrwz"], ["u+x"], [-1], [0o10000]])("%p is an error", (input) => {
    expect(() => Mode.parse(input)).toThrow(/invalid mode/);
  });
});
