/**
 * What commands print besides errors (those go through main's error printer):
 * user-supplied text in it (paths, comments, names) is made inert with
 * escapeForTerminal (lib/terminal.ts), line by line, so a file or key comment
 * cannot drive the terminal.
 *
 * @module
 */
import { escapeForTerminal } from "../terminal.ts";

const escaped = (text: string) => text.split("\n").map(escapeForTerminal).join("\n");

/** Prints `text` (escaped) and a newline on stdout. */
export function say(text: string): void {
  process.stdout.write(escaped(text) + "\n");
}

/** Prints `text` (escaped) and a newline on stderr: notes beside a command's real output. */
export function note(text: string): void {
  process.stderr.write(escaped(text) + "\n");
}
