/**
 * docs/environments.md cannot drift from the schema (lib/engine/environment-schema.ts):
 * its key tables are the schema's, and every TOML example in it is a valid
 * environment file. `BATOU_WRITE_DOCS=1 bun test tests/unit/environment-docs.test.ts`
 * rewrites the tables from the schema.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvironmentFile } from "../../lib/engine/environment-file.ts";
import { ENVIRONMENT_KEYS, HOST_KEYS, keysTable, RESOLVER_KEYS, sectionsTable, VFS_KEYS } from "../../lib/engine/environment-schema.ts";

const PATH = join(import.meta.dir, "../../docs/environments.md");
const TABLES: Record<string, string> = {
  sections: sectionsTable(),
  environment: keysTable(ENVIRONMENT_KEYS),
  hosts: keysTable(HOST_KEYS),
  resolver: keysTable(RESOLVER_KEYS),
  vfs: keysTable(VFS_KEYS),
};
const BLOCK = /<!-- schema: (\w+) -->\n([^]*?)\n<!-- \/schema -->/g;

describe("docs/environments.md", () => {
  test("every schema table is in the docs, as the schema renders it", () => {
    let doc = readFileSync(PATH, "utf8");
    if (process.env.BATOU_WRITE_DOCS) {
      doc = doc.replace(BLOCK, (all, name: string) => (TABLES[name] ? `<!-- schema: ${name} -->\n${TABLES[name]}\n<!-- /schema -->` : all));
      writeFileSync(PATH, doc);
    }
    const found = Object.fromEntries([...doc.matchAll(BLOCK)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(found).sort()).toEqual(Object.keys(TABLES).sort());
    for (const [name, table] of Object.entries(TABLES)) expect(found[name], `table "${name}"`).toBe(table);
  });

  test("every TOML example is a valid environment file", () => {
    const doc = readFileSync(PATH, "utf8");
    const examples = [...doc.matchAll(/```toml\n([^]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const example of examples) {
      const file = parseEnvironmentFile("example", "docs/environments.md", new TextEncoder().encode(example));
      expect(file.errors.map((e) => e.message), example).toEqual([]);
    }
  });
});
