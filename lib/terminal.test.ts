import { expect, test } from "bun:test";
import { askPassphrase, escapeForTerminal } from "./terminal.ts";

test("escapeForTerminal shows control characters and bidi overrides as escapes, keeps text and tabs", () => {
  expect(escapeForTerminal("alice@laptop ü 🙂\tx")).toBe("alice@laptop ü 🙂\tx");
  expect(escapeForTerminal("a\u001b]0;title\u0007b\u001b[2Jc")).toBe("a\\x1b]0;title\\x07b\\x1b[2Jc");
  expect(escapeForTerminal("x\ny\rz\u007f\u009b")).toBe("x\\x0ay\\x0dz\\x7f\\x9b");
  expect(escapeForTerminal("evil\u202egnp.exe\u2066")).toBe("evil\\u{202e}gnp.exe\\u{2066}");
});

test("askPassphrase asks up to three times until one opens the key; aborted or wrong otherwise", async () => {
  const answers = (...given: (string | null)[]) => {
    const prompts: string[] = [];
    return { prompts, read: async (prompt: string) => (prompts.push(prompt), given.shift() ?? null) };
  };
  const open = (passphrase: string) => (passphrase === "right" ? { key: 1 } : undefined);
  const twice = answers("wrong", "right");
  expect(await askPassphrase("id_ed25519", open, twice.read)).toEqual({ value: { key: 1 }, passphrase: "right" });
  expect(twice.prompts).toEqual(["Passphrase for id_ed25519: ", "Passphrase for id_ed25519: "]);
  expect(await askPassphrase("k", open, answers("a", "b", "c", "right").read)).toBe("wrong");
  expect(await askPassphrase("k", open, answers("a", null).read)).toBe("aborted");
});
