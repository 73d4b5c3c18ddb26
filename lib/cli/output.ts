/**
 * What commands print besides errors (those go through main's error printer):
 * user-supplied text in it (paths, comments, names) is made inert with
 * escapeTerminal, so a file or key comment cannot drive the terminal.
 *
 * @module
 */
import { escapeTerminal } from "../engine/terminal-text.ts";

/** Prints `text` (escaped) and a newline on stdout. */
export function say(text: string): void {
  process.stdout.write(escapeTerminal(text) + "\n");
}

/** Prints `text` (escaped) and a newline on stderr: notes beside a command's real output. */
export function note(text: string): void {
  process.stderr.write(escapeTerminal(text) + "\n");
}
