/**
 * The terminal: asking the user (a line, a hidden line for passphrases, a yes/no
 * question), shared by the secrets engine and the SSH transport, with questions on
 * stderr so stdout stays clean; and writing to it: {@link escapeForTerminal} makes
 * text from files and hosts inert (every line the CLI and the error printer print
 * from such text goes through it), {@link colorWanted} decides about colour.
 */

/** True when stdin is a terminal, so the user can be asked. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY);
}

/**
 * Reads one line from the terminal; resolves `null` when there is no terminal or the
 * user aborts (Ctrl-C or Ctrl-D at a hidden prompt, end of input otherwise). With
 * `hidden` the typed characters are not echoed (raw mode; Backspace works).
 */
export function readLine(prompt: string, hidden = false): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(null);
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let answer = "";
    const done = (value: string | null) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      if (hidden) stdin.setRawMode(false);
      stdin.pause();
      if (hidden) process.stderr.write("\n");
      resolve(value);
    };
    const onEnd = () => done(null);
    const onData = (chunk: Buffer | string) => {
      const text = chunk.toString();
      if (!hidden) {
        answer += text;
        if (answer.includes("\n")) done(answer.slice(0, answer.indexOf("\n")).replace(/\r$/, ""));
        return;
      }
      for (const ch of text) {
        if (ch === "\r" || ch === "\n") return done(answer);
        if (ch === "\u0003" || ch === "\u0004") return done(null);
        if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    if (hidden) stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.resume();
  });
}

/** Asks a yes/no question on the terminal; Enter alone means `defaultYes`, no answer means no. */
export async function confirm(question: string, defaultYes = true): Promise<boolean> {
  const answer = await readLine(`${question} ${defaultYes ? "[Y/n]" : "[y/N]"} `);
  if (answer === null) return false;
  const text = answer.trim().toLowerCase();
  return text === "" ? defaultYes : text.startsWith("y");
}

/**
 * Asks for the passphrase of the key file `path` (hidden) until `open` accepts one, three
 * times at most, saying "Wrong passphrase." in between: what `open` returned with the
 * passphrase, `"aborted"` (no terminal, Ctrl-C or Ctrl-D) or `"wrong"` (three wrong ones).
 */
export async function askPassphrase<T>(
  path: string,
  open: (passphrase: string) => T | undefined,
  read: (prompt: string, hidden: boolean) => Promise<string | null> = readLine,
): Promise<{ value: T; passphrase: string } | "aborted" | "wrong"> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const passphrase = await read(`Passphrase for ${path}: `, true);
    if (passphrase === null) return "aborted";
    const value = open(passphrase);
    if (value !== undefined) return { value, passphrase };
    process.stderr.write("Wrong passphrase.\n");
  }
  return "wrong";
}

/**
 * `text` safe to print on a terminal: control characters (C0 except tab, DEL, C1) and
 * the Unicode bidirectional overrides are shown as `\xNN` / `\u{NNNN}` escapes, so text
 * from a file (a recipient's comment, a name) cannot move the cursor, retitle the
 * window or reorder what the user reads.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/** `text` escaped as {@link escapeForTerminal} does, line by line: its line breaks stay. */
export function escapeLinesForTerminal(text: string): string {
  return text.split("\n").map(escapeForTerminal).join("\n");
}

/**
 * Whether to colour output written to `stream`. As Node does: `FORCE_COLOR` set to
 * `1`, `2`, `3`, `true` or empty turns colour on (even through a pipe, and over
 * `NO_COLOR`), any other value (`0`, `false`) turns it off; else `NO_COLOR` (any
 * value) turns it off; else only a terminal whose `TERM` is not `dumb` gets colour.
 */
export function colorWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ["", "1", "2", "3", "true"].includes(force.toLowerCase());
  if (env.NO_COLOR !== undefined) return false;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

/** Prints one line of plain text (no colours of its own) on stdout, escaped for the terminal. */
export function printLine(line: string): void {
  console.log(escapeForTerminal(line));
}
