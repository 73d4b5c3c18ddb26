/**
 * The README's "Repository layout" names every folder of lib/ (at every depth),
 * every test folder and the top-level folders, and every module at lib/'s top;
 * and every folder it names exists. A restructuring that forgets the README fails here.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "../..");

/** The layout block: the code block after "## Repository layout". */
function layoutBlock(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("## Repository layout");
  const open = readme.indexOf("```\n", start) + 4;
  return readme.slice(open, readme.indexOf("```\n", open));
}

/** The folders the block names: a line at the left margin names full paths, an indented one names folders of the last of those. */
function namedFolders(block: string): Set<string> {
  const named = new Set<string>();
  let parent = "";
  for (const line of block.split("\n")) {
    const tokens = [...line.matchAll(/(?:^|\s)([\w.-]+(?:\/[\w.-]+)*\/)(?=[\s,]|$)/g)].map((m) => m[1]!.slice(0, -1));
    if (tokens.length === 0) continue;
    const indented = /^\s/.test(line);
    if (!indented) parent = tokens[0]!;
    for (const token of tokens) named.add(indented && !token.includes("/") ? `${parent}/${token}` : token);
  }
  return named;
}

const folders = (dir: string, deep: boolean): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => [`${dir}/${entry.name}`, ...(deep ? folders(`${dir}/${entry.name}`, true) : [])]);

test("the README's layout names every folder of lib/ and tests/, the top-level folders and lib/'s own modules", () => {
  const block = layoutBlock();
  const named = namedFolders(block);
  const expected = [...folders("lib", true), ...folders("tests", false), "tests", "components", "environments", "scripts", "bench", "docs", ".ci"];
  expect(expected.filter((folder) => !named.has(folder))).toEqual([]);
  const modules = readdirSync(join(ROOT, "lib")).filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts"));
  expect(modules.filter((name) => !block.includes(`lib/${name}`))).toEqual([]);
});

test("every folder the README's layout names exists", () => {
  const missing = [...namedFolders(layoutBlock())].filter((folder) => !existsSync(join(ROOT, folder)) || !statSync(join(ROOT, folder)).isDirectory());
  expect(missing).toEqual([]);
});
