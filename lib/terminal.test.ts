import { expect, test } from "bun:test";
import { escapeForTerminal } from "./terminal.ts";

test("escapeForTerminal shows control characters and bidi overrides as escapes, keeps text and tabs", () => {
  expect(escapeForTerminal("alice@laptop ü 🙂\tx")).toBe("alice@laptop ü 🙂\tx");
  expect(escapeForTerminal("a\u001b]0;title\u0007b\u001b[2Jc")).toBe("a\\x1b]0;title\\x07b\\x1b[2Jc");
  expect(escapeForTerminal("x\ny\rz\u007f\u009b")).toBe("x\\x0ay\\x0dz\\x7f\\x9b");
  expect(escapeForTerminal("evil\u202egnp.exe\u2066")).toBe("evil\\u{202e}gnp.exe\\u{2066}");
});
