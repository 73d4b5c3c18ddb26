/**
 * Loading component files: what they may import (nothing is ever fetched:
 * a package name is refused before anything is imported), syntax errors with
 * line, column and the parser's message, and the classes that become components.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { loadComponents } from "../../lib/engine/loader.ts";
import { errorText } from "../helpers/model.ts";
import { type TempProject, tempProject } from "../helpers/project.ts";

let project: TempProject | undefined;
const extra: TempProject[] = [];
afterEach(() => {
  project?.cleanup();
  project = undefined;
  extra.splice(0).forEach((p) => p.cleanup());
});

const withFiles = (files: Record<string, string>) => (project = tempProject(files));
const messages = async () => (await loadComponents(project!.dir)).errors.map((e) => errorText(e));

describe("imports", () => {
  test("a package name is refused with one clear error naming file and line, and nothing is imported", async () => {
    withFiles({
      "components/x/component.ts": `import { Component } from "batou";\nimport leftPad from "left-pad";\nexport class X extends Component { p = leftPad("a", 3); }\n`,
    });
    const loaded = await loadComponents(project!.dir);
    expect(loaded.errors.map((e) => e.message)).toEqual([
      'components/x/component.ts imports "left-pad": components may import "batou", node: and bun: built-ins and files of the project',
    ]);
    expect(errorText(loaded.errors[0])).toContain("file: components/x/component.ts:2");
    expect(loaded.definitions.size).toBe(0);
    expect(loaded.failed.get("x")).toBe("components/x/component.ts");
  });

  test.each([
    [`import { readFileSync } from "node:fs";`],
    [`import { join } from "path";`],
    [`import { $ } from "bun";`],
    [`import type { Something } from "some-package-for-types-only";`],
    [`import { type Other } from "another-types-package";`],
    [`import { helper } from "./helper.ts";`],
    [`import data from "./data.json";`],
  ])("allowed: %s", async (line) => {
    withFiles({
      "components/x/component.ts": `import { Component } from "batou";\n${line}\nexport class X extends Component {}\n`,
      "components/x/helper.ts": `import { Component } from "batou";\nexport const helper = Component;\n`,
      "components/x/data.json": `{"a": 1}`,
    });
    expect(await messages()).toEqual([]);
  });

  test("a helper file of the project is checked too, and a dynamic import with a literal", async () => {
    withFiles({
      "components/x/component.ts": `import { Component } from "batou";\nimport { h } from "../shared/h.ts";\nexport class X extends Component { v = h; }\n`,
      "components/shared/h.ts": `export const h = 1;\nexport const later = () => import("is-odd");\n`,
    });
    const [text] = await messages();
    expect(text).toMatch(/^components\/shared\/h.ts imports "is-odd": components may import/);
    expect(text).toContain("file: components/shared/h.ts:2");
  });

  test("a file outside the project (directly or through a symlink) and a missing file are refused", async () => {
    const outside = tempProject({ "lib.ts": `export const x = 1;\n` });
    extra.push(outside);
    withFiles({
      "components/x/component.ts": `import { Component } from "batou";\nimport { x } from "${join(outside.dir, "lib.ts")}";\nimport { y } from "./linked.ts";\nimport { z } from "./missing.ts";\nexport class X extends Component { v = [x, y, z]; }\n`,
    });
    symlinkSync(join(outside.dir, "lib.ts"), join(project!.dir, "components/x/linked.ts"));
    const texts = await messages();
    expect(texts).toHaveLength(3);
    expect(texts[0]).toMatch(/imports ".*lib.ts": a file outside the project[^]*file: components\/x\/component.ts:2/);
    expect(texts[1]).toMatch(/imports ".\/linked.ts": a file outside the project[^]*:3/);
    expect(texts[2]).toMatch(/imports ".\/missing.ts": no such file[^]*:4/);
  });
});

describe("syntax errors", () => {
  test("name file, line, column and the parser's message", async () => {
    withFiles({ "components/x/component.ts": `import { Component } from "batou";\nexport class X extends Component {\n  port = ;\n}\n` });
    const [text] = await messages();
    expect(text).toBe("syntax error: Unexpected ;\nfile: components/x/component.ts:3:10\nsource: port = ;");
  });

  test("several errors in one file are each reported (not '2 errors building')", async () => {
    withFiles({ "components/x/component.ts": `const a = 1;\nconst a = 2;\nconst b = 1;\nconst b = 2;\n` });
    const texts = await messages();
    expect(texts).toEqual([
      'syntax error: "a" has already been declared\nfile: components/x/component.ts:2:7\nsource: const a = 2;',
      'syntax error: "b" has already been declared\nfile: components/x/component.ts:4:7\nsource: const b = 2;',
    ]);
  });

  test("a syntax error in an imported project file names that file", async () => {
    withFiles({
      "components/x/component.ts": `import { Component } from "batou";\nimport { h } from "./h.ts";\nexport class X extends Component { v = h; }\n`,
      "components/x/h.ts": `export const h = "unterminated;\n`,
    });
    const [text] = await messages();
    expect(text).toMatch(/^syntax error: Unterminated string literal\nfile: components\/x\/h.ts:1:18/);
  });

  test("an error at the top level of a component file names its line", async () => {
    withFiles({ "components/x/component.ts": `import { Component } from "batou";\n\nthrow new Error("top-level boom");\nexport class X extends Component {}\n` });
    const [text] = await messages();
    expect(text).toBe("cannot load the component file: top-level boom\nfile: components/x/component.ts:3");
  });
});

test("every exported Component subclass becomes a component named in lower case", async () => {
  withFiles({
    "components/x/component.ts": `import { Component } from "batou";\nexport class MyApp extends Component {}\nexport class Other extends Component {}\nexport const notAComponent = 1;\nclass Hidden extends Component {}\n`,
  });
  const loaded = await loadComponents(project!.dir);
  expect([...loaded.definitions.keys()].sort()).toEqual(["myapp", "other"]);
  expect(loaded.errors).toEqual([]);
});
