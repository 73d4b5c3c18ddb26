/**
 * docs/cli.md cannot drift from the command table: every command has a
 * section `batou PATH` whose first code block is its usage line and whose
 * option table lists exactly the command's options (flags, value names,
 * defaults); no section or option is documented that does not exist.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "../../lib/cli/all-commands.ts";
import type { Command, LeafCommand, OptionSpec } from "../../lib/cli/command.ts";
import { argumentText, synopsis } from "../../lib/cli/usage.ts";

const DOC = readFileSync(join(import.meta.dir, "../../docs/cli.md"), "utf8");

interface Section {
  heading: string;
  codeBlocks: string[];
  /** First cells of table rows. */
  flagCells: string[];
  rows: string[];
}

/** `## \`batou deploy\`` and `### \`batou secrets add\`` sections. */
function sections(): Map<string, Section> {
  const result = new Map<string, Section>();
  let current: Section | undefined;
  const lines = DOC.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^#{2,3} `batou ([a-z -]+)`\s*$/.exec(line);
    if (heading) {
      current = { heading: heading[1]!, codeBlocks: [], flagCells: [], rows: [] };
      result.set(current.heading, current);
      continue;
    }
    if (/^#{1,3} /.test(line)) {
      current = undefined;
      continue;
    }
    if (line.startsWith("```")) {
      const start = i + 1;
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++);
      current?.codeBlocks.push(lines.slice(start, i).join("\n"));
      continue;
    }
    const row = /^\| (`-[^|]*) \|(.*)\|$/.exec(line);
    if (row && current) {
      current.flagCells.push(row[1]!.trim());
      current.rows.push(line);
    }
  }
  return result;
}

function walk(commands: Command[], prefix: string[] = []): { path: string[]; command: Command }[] {
  return commands
    .filter((command) => !command.hidden)
    .flatMap((command) => [
      { path: [...prefix, command.name], command },
      ...(command.kind === "group" ? walk(command.commands, [...prefix, command.name]) : []),
    ]);
}

/** How the docs write an option's flags: `-j N`, `--jobs N` (a boolean: `-P`, `--predict-only`). */
function documentedAs(long: string, spec: OptionSpec): string {
  const value = spec.type === "boolean" ? "" : ` ${spec.value ?? "VALUE"}`;
  return [spec.short ? `\`-${spec.short}${value}\`` : undefined, `\`--${long}${value}\``].filter(Boolean).join(", ");
}

describe("docs/cli.md", () => {
  const docs = sections();
  const all = walk(COMMANDS);
  const leaves = all.filter((entry): entry is { path: string[]; command: LeafCommand } => entry.command.kind === "command");

  test("every command has a section, and every section is a command", () => {
    const names = all.map(({ path }) => path.join(" "));
    const missing = leaves.map(({ path }) => path.join(" ")).filter((name) => !docs.has(name));
    expect(missing).toEqual([]);
    expect([...docs.keys()].filter((name) => !names.includes(name))).toEqual([]);
  });

  test.each(leaves.map(({ path, command }) => [path.join(" "), path, command] as const))("batou %s: usage line and options", (name, path, command) => {
    const section = docs.get(name)!;
    expect(section.codeBlocks[0]?.split("\n")[0]).toBe(synopsis(path, command));
    const expected = Object.entries(command.options as Record<string, OptionSpec>).map(([long, spec]) => documentedAs(long, spec));
    expect(section.flagCells).toEqual(expected);
    for (const [long, spec] of Object.entries(command.options as Record<string, OptionSpec>)) {
      if (spec.default === undefined) continue;
      const row = section.rows.find((line) => line.includes(`\`--${long}`))!;
      expect(row).toContain(`default: ${Array.isArray(spec.default) ? spec.default.join(",") : spec.default}`);
    }
  });

  test("the overview at the top names every command", () => {
    const overview = DOC.split("```")[1]!;
    for (const { path, command } of leaves) {
      const words = ["batou", ...path, ...command.arguments.map(argumentText)].join(" ");
      expect(overview.split("\n").some((line) => line.startsWith(`${words} `) || line === words)).toBe(true);
    }
  });
});
