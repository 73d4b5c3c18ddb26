/**
 * The complete examples of docs/components.md (```ts blocks that import from
 * "batou") type-check against lib/batou.ts and load as component modules, and
 * the attribute example configures as the page says.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Component } from "../../lib/batou.ts";
import { exampleTypeErrors, writeExamples } from "../helpers/examples.ts";
import { cleanupModels, model } from "../helpers/model.ts";

const DOC = readFileSync(join(import.meta.dir, "../../docs/components.md"), "utf8");
const examples = [...DOC.matchAll(/```ts\n([^]*?)```/g)].map((m) => m[1]!).filter((code) => /^import .* from "batou";/m.test(code));
const dir = mkdtempSync(join(tmpdir(), "batou-docs-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  cleanupModels();
});

test("every complete example type-checks and loads", async () => {
  expect(examples.length).toBeGreaterThanOrEqual(3);
  const files = writeExamples(dir, examples.map((code, index) => [`example${index}`, code]));
  expect(exampleTypeErrors(dir)).toEqual([]);
  for (const file of files) {
    const module = await import(file);
    expect(Object.values(module).some((value) => typeof value === "function" && value.prototype instanceof Component)).toBe(true);
  }
});

test("the attribute example: defaults, overrides, conversions", async () => {
  const index = examples.findIndex((code) => code.includes("export class App") && code.includes("attribute("));
  const { App } = await import(join(dir, "components", `example${index}`, "component.ts"));
  const m = model({
    components: { app: App },
    hosts: { web: ["app"] },
    overrides: { app: { hosts: "a, b,", greeting: "Hi {{ host.name }}", password: "{{ raw }}", port: "9090" } },
  });
  m.configure();
  const app = m.component<Component & Record<string, unknown>>("app");
  expect(app.port).toBe(9090);
  expect(app.hosts).toEqual(["a", "b"]);
  expect(String(app.listen)).toBe("localhost:8080");
  expect(app.greeting).toBe("Hi web");
  expect(app.password).toBe("{{ raw }}");
  expect(app.logs).toBe(join(m.dir, "work/app/logs"));
  expect(app.limits).toEqual({ cpu: 1 });
});
