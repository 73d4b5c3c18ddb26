import { expect, test } from "bun:test";
import { endReason } from "./transport.ts";

test("endReason: a signal, a status, an unknown end, a lost link with and without its reason", () => {
  expect(endReason({ code: null, signal: "KILL" })).toBe("was killed by signal SIGKILL");
  expect(endReason({ code: 3, signal: null })).toBe("exited with status 3");
  expect(endReason({ code: null, signal: null, unknown: "OpenSSH does not pass on exit signals" })).toBe("ended without an exit status (OpenSSH does not pass on exit signals)");
  expect(endReason({ code: null, signal: null })).toBe("lost its connection");
  expect(endReason({ code: null, signal: null }, "read ECONNRESET")).toBe("lost its connection (read ECONNRESET)");
});
