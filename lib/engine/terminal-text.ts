/**
 * What batou writes to a terminal: user-supplied text made inert, and whether
 * to colour at all. Host names, file names, recipient comments and error
 * messages come from files anyone with commit access can write; printed raw,
 * an escape sequence in them could rewrite the screen, hide a line or set the
 * window title. Every line the CLI prints passes through {@link escapeTerminal}.
 *
 * @module
 */

/**
 * Control characters that a terminal would act on, and the invisible
 * bidirectional overrides ("Trojan Source"): C0 except tab and newline, DEL,
 * C1, U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character and bidi override shown as an escape
 * (`\x1b`, `\r`, `\u202e`) instead of acting on the terminal. Tabs and
 * newlines stay (messages have several lines; the printer indents them).
 *
 * @example
 * ```ts
 * escapeTerminal("bob\x1b]0;owned\x07") // => "bob\\x1b]0;owned\\x07"
 * ```
 */
export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, (char) => {
    if (char === "\r") return "\\r";
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * Whether to colour output written to `stream`. As Node does: `FORCE_COLOR`
 * set to `1`, `2`, `3`, `true` or empty turns colour on (even through a pipe,
 * and over `NO_COLOR`), any other value (`0`, `false`) turns it off; else
 * `NO_COLOR` (any value) turns it off; else only a terminal whose `TERM` is not
 * `dumb` gets colour.
 */
export function colorWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ["", "1", "2", "3", "true"].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined) return false;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}
