/**
 * `batou graph` through the CLI, from source and compiled: the example
 * project and multi-host fixtures (cross-host resources, an ignored host, a
 * cycle, a missing provider, a failing configure()) as DOT parsed by Graphviz,
 * as SVG parsed as XML, and as JSON. The compiled executable draws SVG on its
 * own, copied alone into an empty folder.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GraphModel } from "../../lib/engine/model-graph.ts";
import { COLORS } from "../../lib/graph/dot.ts";
import { COMPILED, ensureCompiled, hasStackTrace, REPO, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";
import { cycle, failing, missing, multiHost } from "./fixtures.ts";
import { edgeLines, parseDot, parseSvg } from "./parse.ts";

/** Each test runs batou several times. */
const SPAWNS = 60_000;

beforeAll(() => ensureCompiled(), 300_000);

/** `batou graph ENV ARGS` in `files` as a temp project (or in this repository's example project without files). */
function graph(runner: (typeof RUNNERS)[number], env: string, args: string[], files?: Record<string, string>) {
  if (!files) return runBatou(runner, ["graph", env, ...args], REPO);
  using project = tempProject(files);
  return runBatou(runner, ["graph", env, ...args], project.dir);
}

describe.each(RUNNERS)("batou graph ($name)", (runner) => {
  test("the example project: one host, its two roots numbered in deploy order, the service edge", async () => {
    const result = graph(runner, "local", ["--format", "dot"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const dot = await parseDot(result.stdout);
    expect(dot.attributes.label).toBe("local");
    expect([...dot.clusters.keys()]).toEqual(["cluster_localhost"]);
    expect(dot.clusters.get("cluster_localhost")!.nodes.sort()).toEqual(["localhost/services", "localhost/statussite"]);
    expect(dot.nodes.get("localhost/services")!.label).toBe("1. services");
    expect(dot.nodes.get("localhost/statussite")!.label).toBe("2. statussite");
    expect(edgeLines(dot)).toEqual(["localhost/services -service-> localhost/statussite"]);
  }, SPAWNS);

  test("hosts as clusters with platform and service user; ignored hosts and !components greyed with the reason", async () => {
    const result = graph(runner, "prod", ["--format", "dot"], multiHost);
    expect(result.code).toBe(0);
    const dot = await parseDot(result.stdout);
    const clusters = Object.fromEntries([...dot.clusters].map(([name, cluster]) => [name, cluster]));
    expect(Object.keys(clusters).sort()).toEqual(["cluster_backup", "cluster_db1", "cluster_web1", "cluster_web2"]);
    expect(clusters.cluster_web1!.nodes.sort()).toEqual(["web1/app", "web1/frontend", "web1/monitoring"]);
    expect(clusters.cluster_db1!.nodes).toEqual(["db1/database"]);
    expect(clusters.cluster_web1!.attributes.label).toBe("web1\nplatform debian · user www");
    expect(clusters.cluster_web2!.attributes.label).toBe("web2\nuser app");
    expect(clusters.cluster_web1!.attributes.tooltip).toBe("web1.example.com");
    expect(clusters.cluster_backup!.attributes.label).toBe("backup\nuser app\nignored (ignore = true)");
    expect(clusters.cluster_backup!.attributes.style).toContain("dashed");
    expect(clusters.cluster_backup!.attributes.fontcolor).toBe(COLORS.ignored);

    const node = (id: string) => dot.nodes.get(id)!;
    expect(node("web1/monitoring").label).toBe("monitoring\nnot deployed (!monitoring)");
    expect(node("backup/backup").label).toBe("backup\nnot deployed (host ignored)");
    for (const id of ["web1/monitoring", "backup/backup"]) expect(node(id).fontcolor).toBe(COLORS.ignored);
    expect(["db1/database", "web1/app", "web2/app", "web1/frontend"].map((id) => node(id).label)).toEqual(["1. database", "2. app", "3. app", "4. frontend"]);
  }, SPAWNS);

  test("resource edges from provider to requirer labelled with the key; reverse and dirty styled apart", async () => {
    const dot = await parseDot(graph(runner, "prod", ["--format", "dot"], multiHost).stdout);
    expect(edgeLines(dot)).toEqual([
      "db1/database -database (reverse)-> backup/backup",
      "db1/database -database-> web1/app",
      "db1/database -database-> web2/app",
      "web1/app -app (dirty)-> web1/monitoring",
      "web1/app -app (on web1)-> web1/frontend",
      "web2/app -app (dirty)-> web1/monitoring",
    ]);
    const styleOf = (tail: string, head: string) => {
      const { style, arrowhead } = dot.edges.find((e) => e.tail === tail && e.head === head)!.attributes;
      return [style ?? "solid", arrowhead ?? "normal"];
    };
    expect(styleOf("db1/database", "web1/app")).toEqual(["solid", "normal"]);
    expect(styleOf("db1/database", "backup/backup")).toEqual(["dashed", "onormal"]);
    expect(styleOf("web2/app", "web1/monitoring")).toEqual(["dotted", "normal"]);
  }, SPAWNS);

  test("a cycle: drawn with its roots and edges in red, the errors printed, exit 1", async () => {
    const result = graph(runner, "loop", ["--format", "dot"], cycle);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("dependency cycle between root components");
    expect(hasStackTrace(result.output)).toBe(false);
    const dot = await parseDot(result.stdout);
    expect(dot.attributes.label).toBe("loop: configuration failed (1 error)");
    const red = (attributes: Record<string, string>) => attributes.color === COLORS.error;
    expect([...dot.nodes].filter(([, a]) => red(a)).map(([id]) => id).sort()).toEqual(["alpha/first", "beta/second"]);
    expect(dot.nodes.get("alpha/first")!.label).toBe("first\non a dependency cycle");
    expect(dot.edges.filter((e) => red(e.attributes)).map((e) => `${e.tail} ${e.head}`).sort()).toEqual(["alpha/first beta/second", "beta/second alpha/first"]);
    expect(red(dot.edges.find((e) => e.head === "beta/bystander")!.attributes)).toBe(false);
  }, SPAWNS);

  test("a requirement nothing provides: an edge from a red 'nothing provides KEY' node", async () => {
    const result = graph(runner, "dev", ["--format", "dot"], missing);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('resource "database" is required but nothing provides it');
    const dot = await parseDot(result.stdout);
    const [id, attributes] = [...dot.nodes].find(([, a]) => a.label === "nothing provides database")!;
    expect(attributes.color).toBe(COLORS.error);
    expect(dot.edges.filter((e) => e.tail === id).map((e) => [e.head, e.attributes.label, e.attributes.color])).toEqual([["localhost/app", "database", COLORS.error]]);
  }, SPAWNS);

  test("a configure() that throws: its root in red with the error, the rest drawn", async () => {
    const result = graph(runner, "dev", ["--format", "dot"], failing);
    expect(result.code).toBe(1);
    const dot = await parseDot(result.stdout);
    expect(dot.nodes.get("localhost/provider")!.label).toBe("provider\nconfigure() failed:\nError: no url configured");
    expect(dot.nodes.get("localhost/provider")!.color).toBe(COLORS.error);
    expect(dot.nodes.get("localhost/consumer")!.color).not.toBe(COLORS.error);
  }, SPAWNS);

  test("svg: well-formed XML with every host and component; --out writes the file, its format from the extension", () => {
    using project = tempProject(multiHost);
    const out = join(project.dir, "model.svg");
    const result = runBatou(runner, ["graph", "prod", "--out", out], project.dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    const svg = parseSvg(readFileSync(out, "utf8"));
    expect(svg.clusters.sort()).toEqual(["cluster_backup", "cluster_db1", "cluster_web1", "cluster_web2"]);
    expect(svg.nodes.sort()).toEqual(["backup/backup", "db1/database", "web1/app", "web1/frontend", "web1/monitoring", "web2/app"]);
    for (const text of ["web1", "platform debian · user www", "1. database", "4. frontend", "not deployed (!monitoring)", "database (reverse)", "app (dirty)"]) {
      expect(svg.texts).toContain(text);
    }
  }, SPAWNS);

  test("json: the graph model for tools", () => {
    const result = graph(runner, "loop", ["--format", "json"], cycle);
    expect(result.code).toBe(1);
    const model = JSON.parse(result.stdout) as GraphModel;
    expect(model.ok).toBe(false);
    expect(model.hosts.map((h) => h.name)).toEqual(["alpha", "beta"]);
    expect(model.roots.filter((r) => r.cycle).map((r) => r.id)).toEqual(["alpha/first", "beta/second"]);
    expect(model.errors).toHaveLength(1);
  }, SPAWNS);

  test("usage errors exit 2; a model that does not load is an error without a picture", () => {
    const bad = graph(runner, "local", ["--format", "png"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format expects one of svg, dot, json, got "png"');
    expect(graph(runner, "local", []).code).toBe(0);
    expect(runBatou(runner, ["graph"], REPO).code).toBe(2);
    const unknown = graph(runner, "nowhere", ["--format", "dot"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toContain('missing environment "nowhere"');
  }, SPAWNS);
});

test("docs/example-graph.svg (the README's picture) is what batou graph draws of the example project now", () => {
  const fresh = parseSvg(runBatou(RUNNERS[0]!, ["graph", "local"], REPO).stdout);
  const committed = parseSvg(readFileSync(join(REPO, "docs", "example-graph.svg"), "utf8"));
  // When this fails: bun batou.ts graph local --out docs/example-graph.svg
  expect(committed).toEqual(fresh);
}, SPAWNS);

test("the compiled executable draws SVG alone, with no file beside it", () => {
  const dir = mkdtempSync(join(tmpdir(), "batou-graph-alone-"));
  try {
    const alone = join(dir, "batou");
    copyFileSync(COMPILED, alone);
    using project = tempProject(cycle);
    const result = runBatou({ name: "compiled", argv: [alone] }, ["graph", "loop", "--format", "svg"], project.dir);
    expect(result.code).toBe(1);
    const svg = parseSvg(result.stdout);
    expect(svg.nodes.sort()).toEqual(["alpha/first", "beta/bystander", "beta/second"]);
    expect(svg.texts).toContain("second-url");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, SPAWNS);
