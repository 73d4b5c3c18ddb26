/**
 * batou 2.x's INI files (`environment.cfg`, the cleartext of `secrets.cfg.*`) read
 * the way Python's `RawConfigParser` reads them for batou: no interpolation, keys
 * case-sensitive (batou sets `optionxform` to keep them), `=` or `:` between key
 * and value, values continued on more-indented lines, `#` and `;` comments only on
 * lines of their own (`a = b # c` is the value `b # c`), `[DEFAULT]` keys in every
 * section, and a repeated section or key is an error, as Python's strict mode makes it.
 *
 * Unlike Python's parser it keeps where things were: each section and key carries its
 * line and the comment lines just above it, so a conversion can keep them.
 */

/** One `key = value` of a section. */
export interface IniEntry {
  key: string;
  /** The value as Python gives it: continuation lines joined with `\n`, trailing blank lines dropped. */
  value: string;
  /** 1-based line of the key. */
  line: number;
  /** Comment lines directly above the key (without the `#`/`;`), in order. */
  comments: string[];
  /** From `[DEFAULT]` rather than this section. */
  fromDefault?: boolean;
}

export interface IniSection {
  name: string;
  line: number;
  comments: string[];
  entries: IniEntry[];
}

export interface IniDocument {
  sections: IniSection[];
  /** Comment lines after the last key of the file. */
  trailingComments: string[];
}

/** A file Python's configparser refuses: batou could not read it either. */
export class IniError extends Error {
  override name = "IniError";
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const SECTION = /^\[(.+)\]/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;

function commentText(stripped: string): string {
  return stripped.slice(1).replace(/^ /, "");
}

/** Parses INI text with configparser's rules; throws {@link IniError} for what Python refuses. */
export function parseIni(text: string, file: string): IniDocument {
  const sections: IniSection[] = [];
  const byName = new Map<string, IniSection>();
  let defaults: IniSection | null = null;
  let current: IniSection | null = null;
  let currentEntry: IniEntry | null = null;
  let valueLines: string[] = [];
  let indentLevel = 0;
  let pendingComments: string[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const fail = (message: string, line: number) => new IniError(`${file}:${line}: ${message}`, line);
  const finishValue = () => {
    if (currentEntry) currentEntry.value = valueLines.join("\n").replace(/\s+$/, "");
  };

  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const stripped = raw.trim();
    const isComment = stripped.startsWith("#") || stripped.startsWith(";");
    if (isComment || stripped === "") {
      // A blank line inside a value is part of it (empty_lines_in_values); a comment line is not.
      if (isComment) pendingComments.push(commentText(stripped));
      else if (currentEntry) valueLines.push("");
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    if (current && currentEntry && indent > indentLevel) {
      valueLines.push(stripped);
      return;
    }
    indentLevel = indent;
    const header = SECTION.exec(stripped);
    if (header) {
      finishValue();
      currentEntry = null;
      const name = header[1];
      if (name === "DEFAULT") {
        if (defaults) throw fail(`section [DEFAULT] appears twice`, lineNumber);
        defaults = { name, line: lineNumber, comments: pendingComments, entries: [] };
        current = defaults;
      } else {
        if (byName.has(name)) throw fail(`section [${name}] appears twice (first on line ${byName.get(name)!.line})`, lineNumber);
        current = { name, line: lineNumber, comments: pendingComments, entries: [] };
        byName.set(name, current);
        sections.push(current);
      }
      pendingComments = [];
      return;
    }
    if (!current) throw fail(`expected a [section] header before ${JSON.stringify(stripped)}`, lineNumber);
    const option = OPTION.exec(stripped);
    if (!option || option[1].trim() === "") throw fail(`expected "key = value", got ${JSON.stringify(stripped)}`, lineNumber);
    finishValue();
    const key = option[1].trimEnd();
    const previous = current.entries.find((e) => e.key === key);
    if (previous) throw fail(`key ${JSON.stringify(key)} appears twice in [${current.name}] (first on line ${previous.line})`, lineNumber);
    currentEntry = { key, value: "", line: lineNumber, comments: pendingComments };
    pendingComments = [];
    valueLines = [option[3].trim()];
    current.entries.push(currentEntry);
  });
  finishValue();

  if (defaults) {
    const inherited = (defaults as IniSection).entries;
    for (const section of sections) {
      for (const entry of inherited) {
        if (!section.entries.some((e) => e.key === entry.key)) section.entries.push({ ...entry, comments: [], fromDefault: true });
      }
    }
  }
  return { sections, trailingComments: pendingComments };
}

/**
 * batou's `ConfigSection.as_list`: split at commas when there is one, else at line
 * breaks, items trimmed (after commas, empty items stay, as in batou).
 */
export function asList(value: string): string[] {
  if (value.includes(",")) return value.split(",").map((x) => x.trim());
  if (value.includes("\n")) return value.split("\n").map((x) => x.trim()).filter(Boolean);
  return [value];
}
