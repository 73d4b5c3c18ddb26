/**
 * TOML written by hand, so that comments can stand where the INI had them: keys,
 * values (inline), comment lines. The tests read every file this writes back
 * with the same TOML parser batou uses.
 */

const ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

/** A TOML basic string. */
export function tomlString(text: string): string {
  // biome-ignore lint: control characters are what is escaped
  return `"${text.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

/** A key: bare when TOML allows, else quoted. */
export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** A value as TOML writes it inline; `null` has no TOML form and is refused. */
export function tomlValue(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`no TOML form for ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  }
  throw new Error(`no TOML form for ${String(value)}`);
}

/** True when `value` can be written as TOML (no null anywhere). */
export function hasTomlForm(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(hasTomlForm);
  if (typeof value === "object") return Object.values(value).every(hasTomlForm);
  return true;
}

/** `# text` lines for comments (a comment's own line breaks become more comment lines). */
export function commentLines(comments: string[], indent = ""): string[] {
  return comments.flatMap((c) => c.split("\n")).map((c) => (c ? `${indent}# ${c}` : `${indent}#`));
}
