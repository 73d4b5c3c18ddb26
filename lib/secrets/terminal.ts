/** Reading from the user's terminal: passphrases (without echo) and yes/no questions. */
import { SecretsError } from "./secrets-error.ts";

/** True when stdin is a terminal, so the user can be asked. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY);
}

/**
 * Reads one line from the terminal. With `hidden` the typed characters are not echoed
 * (raw mode; Backspace works, Ctrl-C / Ctrl-D abort with a {@link SecretsError}).
 */
export function readLine(prompt: string, hidden = false): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.reject(new SecretsError("cannot ask: stdin is not a terminal"));
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let answer = "";
    const done = (error?: Error) => {
      stdin.off("data", onData);
      if (hidden) stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write(hidden ? "\n" : "");
      if (error) reject(error);
      else resolve(answer);
    };
    const onData = (chunk: Buffer | string) => {
      const text = chunk.toString();
      if (!hidden) {
        answer += text;
        if (answer.includes("\n")) {
          answer = answer.slice(0, answer.indexOf("\n")).replace(/\r$/, "");
          done();
        }
        return;
      }
      for (const ch of text) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003" || ch === "\u0004") return done(new SecretsError("aborted at the passphrase prompt"));
        if (ch === "\u007f" || ch === "\b") answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    if (hidden) stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
  });
}

/** Asks a yes/no question on the terminal; Enter alone means `defaultYes`. */
export async function confirm(question: string, defaultYes = true): Promise<boolean> {
  const answer = (await readLine(`${question} ${defaultYes ? "[Y/n]" : "[y/N]"} `)).trim().toLowerCase();
  return answer === "" ? defaultYes : answer.startsWith("y");
}
