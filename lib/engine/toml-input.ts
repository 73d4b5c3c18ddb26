/**
 * What every TOML file batou reads goes through (environments and the
 * cleartext of secrets): strict UTF-8, syntax errors that say what is wrong
 * where, the line of a key, and values batou can carry: no dates or times
 * (write them as strings) and no `nan` or `inf`.
 */
import type { TomlError } from "smol-toml";
import { ConfigurationError } from "./errors.ts";
import { isTable } from "./environment-schema.ts";

/** Line of `[section]` (or `[a.b]`), or of `key` inside it (`""`: the top level). */
export type LineOf = (section: string, key?: string) => number | undefined;

/** `bytes` as text, or an error naming the line of the first byte that is not UTF-8 (never U+FFFD in a value). */
export function utf8OrError(bytes: Uint8Array, file: string): string | ConfigurationError {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    return decoder.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        break;
      }
      line++;
      start = i + 1;
    }
    return new ConfigurationError("the file is not valid UTF-8", { file, line, expected: "UTF-8 text" });
  }
}

/** A TOML syntax error as the user should read it: file, line, column and what is wrong. */
export function tomlSyntaxError(error: TomlError, source: string, file: string): ConfigurationError {
  let what = error.message.split("\n")[0]!.replace(/^Invalid TOML document:\s*/, "");
  const lineText = source.split("\n")[error.line - 1] ?? "";
  // smol-toml reports a string that runs to the end of the line as a control character in it.
  if (/control characters are not allowed in strings|unfinished string/.test(what) && unterminated(lineText, error.column)) {
    what = "unterminated string (a string ends on its line; use \"\"\" for a multi-line string)";
  }
  return new ConfigurationError(`TOML syntax error: ${what}`, { file, line: error.line, column: error.column, source: lineText.trim() || undefined });
}

/** True when a quote on `lineText` before `column` (1-based) opens a string that the line never closes. */
function unterminated(lineText: string, column: number): boolean {
  let quote: string | undefined;
  for (let i = 0; i < lineText.length; i++) {
    const c = lineText[i]!;
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      if (lineText.startsWith(c.repeat(3), i)) return i < column;
      quote = c;
    } else if (c === "#") break;
  }
  return quote !== undefined;
}

/**
 * Finds the line of `[section]` (or `[a.b]`) and of `key` inside it. TOML
 * parsers do not report positions of keys, so this scans the text.
 */
export function lineFinder(source: string): LineOf {
  const lines = source.split("\n");
  const norm = (s: string) => s.replace(/["'\s]/g, "");
  return (section, key) => {
    let inSection = section === "";
    let sectionLine: number | undefined;
    for (let i = 0; i < lines.length; i++) {
      const header = lines[i]!.match(/^\s*\[{1,2}([^\]]+)\]{1,2}/);
      if (header) {
        inSection = norm(header[1]!) === norm(section);
        if (inSection && sectionLine === undefined) sectionLine = i + 1;
        continue;
      }
      if (inSection && key !== undefined) {
        const match = lines[i]!.match(/^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]/);
        if (match && norm(match[1]!) === norm(key)) return i + 1;
      }
    }
    return sectionLine;
  };
}

/**
 * The first value in `data` batou cannot carry, with its dotted path: a date
 * or time, or `nan`/`inf`. `undefined` when all is well.
 */
export function checkData(data: unknown, path = ""): { path: string; problem: string } | undefined {
  if (data instanceof Date) return { path, problem: "is a TOML date or time: write it as a string" };
  if (typeof data === "number" && !Number.isFinite(data)) return { path, problem: "is nan or inf: only finite numbers are allowed" };
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const found = checkData(data[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (isTable(data)) {
    for (const [key, value] of Object.entries(data)) {
      const found = checkData(value, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}
