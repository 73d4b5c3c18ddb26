/**
 * `NodeApp` with the real `npm ci` and `bun install --frozen-lockfile`,
 * installing packed tarballs (`npm pack`) that the lockfile names: nothing
 * from the network. Installs once, again when the lockfile changes or
 * node_modules is gone; a lockfile that does not match is the installer's error.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanupProjects, deploy, makeProject, scratchDir } from "./helpers.ts";
import { packGreet, run, writeApp } from "./library2-fixtures.ts";

afterAll(cleanupProjects);
setDefaultTimeout(180_000);

const hasNpm = Bun.spawnSync(["sh", "-c", "command -v npm"]).exitCode === 0;

const component = (installer: "npm" | "bun") =>
  `import { Component, Directory, NodeApp } from "batou";
export class Web extends Component {
  configure() {
    this.add(new Directory("app", { source: "app", exclude: ["node_modules"] }));
    this.add(new NodeApp("app", { installer: "${installer}", production: true }));
  }
}
`;

describe.skipIf(!hasNpm)("NodeApp (npm ci, bun install --frozen-lockfile; packed tarballs)", () => {
  let tarballs: string;
  let one: string;
  let two: string;
  beforeAll(() => {
    tarballs = scratchDir("batou-npm-");
    one = packGreet(tarballs, "1.0.0");
    two = packGreet(tarballs, "2.0.0");
  });

  for (const installer of ["npm", "bun"] as const) {
    test(`${installer}: installs from the lockfile once; again when it changes or node_modules is gone`, async () => {
      const p = makeProject({ "components/web/component.ts": component(installer) }, ["web"]);
      writeApp(join(p.dir, "components/web/app"), one, installer);
      const app = join(p.work("web"), "app");
      const greet = () => run(app, "node", "-e", "process.stdout.write(require('greet')())");

      const predicted = await deploy(p, { predict: true });
      expect(predicted.errors).toEqual([]);
      expect(predicted.logs).toContain(`would install the dependencies of ${app} once its package.json is there`);
      expect(existsSync(p.work("web"))).toBe(false);

      const first = await deploy(p);
      expect(first.errors).toEqual([]);
      expect(greet()).toBe("hello from greet 1.0.0");
      expect((await deploy(p)).changed).toEqual([]);

      writeApp(join(p.dir, "components/web/app"), two, installer);
      const changed = await deploy(p);
      expect(changed.errors).toEqual([]);
      expect(changed.logs).toContainEqual(expect.stringMatching(new RegExp(` in ${app} \\((package-lock\\.json|bun\\.lock) or package\\.json changed\\)$`)));
      expect(greet()).toBe("hello from greet 2.0.0");
      expect((await deploy(p)).changed).toEqual([]);

      rmSync(join(app, "node_modules"), { recursive: true });
      const reinstalled = await deploy(p);
      expect(reinstalled.changed).toContain(`Web > NodeApp('app')`);
      expect(greet()).toBe("hello from greet 2.0.0");
    });
  }

  test("a lockfile that does not match package.json is npm ci's error, with its output", async () => {
    const p = makeProject({ "components/web/component.ts": component("npm") }, ["web"]);
    writeApp(join(p.dir, "components/web/app"), one, "npm");
    const manifest = join(p.dir, "components/web/app/package.json");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace("greet-1.0.0", "greet-2.0.0"));
    const result = await deploy(p);
    expect(result.errors[0]?.message).toBe(`npm ci failed in ${join(p.work("web"), "app")}`);
    expect(String(result.errors[0]?.context.output)).toContain("in sync");
    expect(result.errors[0]?.context.component).toBe("Web > NodeApp('app')");
  });
});
