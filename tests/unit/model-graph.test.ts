/**
 * The graph model of `batou graph` (lib/engine/model-graph.ts) over in-process
 * models, configured or failed, and the two things the engine exposes for it:
 * `Resources.links()` and the failed roots of configure()'s `ModelErrors`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Component } from "../../lib/batou.ts";
import { type ConfigureResult, ModelErrors } from "../../lib/engine/configure.ts";
import { ConfigurationErrors } from "../../lib/engine/errors.ts";
import { type GraphModel, graphModel } from "../../lib/engine/model-graph.ts";
import { cleanupModels, type Model, model, thrown } from "../helpers/model.ts";

afterEach(cleanupModels);

class Database extends Component {
  override configure() {
    this.provide("database", { host: this.host.name });
  }
}
class App extends Component {
  override configure() {
    this.requireOne("database");
    this.provide("app", this.host.name);
  }
}
class Frontend extends Component {
  override configure() {
    this.require("app", { host: this.host.name });
  }
}
class Monitoring extends Component {
  override configure() {
    this.require("app", { dirty: true });
  }
}
class Backup extends Component {
  override configure() {
    this.require("database", { reverse: true });
  }
}
class First extends Component {
  override configure() {
    this.require("second-url");
    this.provide("first-url", "a");
  }
}
class Second extends Component {
  override configure() {
    this.require("first-url");
    this.provide("second-url", "b");
  }
}
class Bystander extends Component {
  override configure() {
    this.require("first-url");
  }
}
class Lonely extends Component {
  override configure() {
    this.require("database", { host: "db1" });
  }
}
class Selfish extends Component {
  override configure() {
    this.provide("job", 1);
    this.require("job");
  }
}
class Broken extends Component {
  override configure() {
    throw new Error("the password is hunter2-secret");
  }
}
class Generous extends Component {
  override configure() {
    this.provide("nobody-wants-this", 1);
  }
}

const COMPONENTS = { database: Database, app: App, frontend: Frontend, monitoring: Monitoring, backup: Backup, first: First, second: Second, bystander: Bystander, lonely: Lonely, selfish: Selfish, broken: Broken, generous: Generous };

/** The model after configure(), whether it succeeded or threw. */
function graphOf(m: Model, mask?: (text: string) => string): GraphModel {
  let outcome: ConfigureResult | ConfigurationErrors;
  try {
    outcome = m.configure();
  } catch (error) {
    if (!(error instanceof ConfigurationErrors)) throw error;
    outcome = error;
  }
  return graphModel(m.environment, outcome, { mask });
}

const multiHost = () =>
  model({
    components: COMPONENTS,
    hosts: {
      web1: { components: ["app", "frontend", "!monitoring"], platform: "debian" },
      web2: ["app"],
      db1: ["database"],
      backup: { components: ["backup"], ignore: true },
    },
  });

describe("the engine's part", () => {
  test("Resources.links() names the key, the provider and the subscription with its options", () => {
    const m = multiHost();
    m.configure();
    const links = m.environment.resources.links().map(({ key, provider, subscription: s }) => [key, provider.id, s.root.id, s.host ?? "", s.reverse, s.dirty]);
    expect(links).toContainEqual(["database", "db1/database", "web1/app", "", false, false]);
    expect(links).toContainEqual(["app", "web1/app", "web1/frontend", "web1", false, false]);
    // The host filter: web1's frontend reads web1's app only.
    expect(links).not.toContainEqual(["app", "web2/app", "web1/frontend", "web1", false, false]);
    expect(links).toContainEqual(["app", "web2/app", "web1/monitoring", "", false, true]);
    expect(links).toContainEqual(["database", "db1/database", "backup/backup", "", true, false]);
  });

  test("configure() throws ModelErrors that name the roots whose configure() failed, with their errors", () => {
    const m = model({ components: COMPONENTS, hosts: { h: ["broken", "app", "database"] } });
    const error = thrown(() => m.configure());
    expect(error).toBeInstanceOf(ModelErrors);
    const failed = [...(error as unknown as ModelErrors).failedRoots].map(([root, errors]) => [root.id, errors.map((e) => e.message)]);
    expect(failed).toEqual([["h/broken", ["configure() failed: Error: the password is hunter2-secret"]]]);
  });
});

describe("a configured model", () => {
  test("hosts with platform, service user and ignore; roots numbered in deploy order, the ignored ones not", () => {
    const graph = graphOf(multiHost());
    expect(graph.ok).toBe(true);
    expect(graph.errors).toEqual([]);
    expect(graph.hosts.map((h) => [h.name, h.platform, h.ignored])).toEqual([
      ["web1", "debian", undefined],
      ["web2", undefined, undefined],
      ["db1", undefined, undefined],
      ["backup", undefined, "ignore = true"],
    ]);
    const roots = Object.fromEntries(graph.roots.map((r) => [r.id, r]));
    expect(roots["web1/monitoring"]!.ignored).toBe("!monitoring");
    expect(roots["backup/backup"]!.ignored).toBe("host ignored");
    expect(roots["web1/monitoring"]!.order).toBeUndefined();
    expect(roots["backup/backup"]!.order).toBeUndefined();
    // The database first, then what needs it; the frontend after web1's app.
    const order = graph.roots.filter((r) => r.order !== undefined).sort((a, b) => a.order! - b.order!).map((r) => r.id);
    expect(order).toEqual(["db1/database", "web1/app", "web2/app", "web1/frontend"]);
  });

  test("one edge per provider, requirer and key, from provider to requirer, with the requirement's options", () => {
    const graph = graphOf(multiHost());
    const edges = graph.edges.map((e) => `${e.from} -${e.key}${e.host ? `@${e.host}` : ""}${e.reverse ? " reverse" : ""}${e.dirty ? " dirty" : ""}-> ${e.to}`).sort();
    expect(edges).toEqual([
      "db1/database -database reverse-> backup/backup",
      "db1/database -database-> web1/app",
      "db1/database -database-> web2/app",
      "web1/app -app dirty-> web1/monitoring",
      "web1/app -app@web1-> web1/frontend",
      "web2/app -app dirty-> web1/monitoring",
    ]);
    expect(graph.edges.some((e) => e.cycle)).toBe(false);
    expect(graph.missing).toEqual([]);
    expect(graph.unused).toEqual([]);
  });
});

describe("a model that does not configure", () => {
  test("a cycle: its roots and its edges are marked, a root that only hangs off it is not", () => {
    const graph = graphOf(model({ components: COMPONENTS, hosts: { alpha: ["first"], beta: ["second", "bystander"] } }));
    expect(graph.ok).toBe(false);
    expect(graph.errors.join("\n")).toContain("dependency cycle");
    expect(graph.roots.filter((r) => r.cycle).map((r) => r.id)).toEqual(["alpha/first", "beta/second"]);
    expect(graph.edges.filter((e) => e.cycle).map((e) => `${e.from} ${e.key} ${e.to}`).sort()).toEqual([
      "alpha/first first-url beta/second",
      "beta/second second-url alpha/first",
    ]);
    expect(graph.edges.find((e) => e.to === "beta/bystander")!.cycle).toBe(false);
    // Nothing is numbered: there is no deploy order.
    expect(graph.roots.every((r) => r.order === undefined)).toBe(true);
  });

  test("a root that requires what it provides itself: a red loop (batou's cycle of one)", () => {
    const graph = graphOf(model({ components: COMPONENTS, hosts: { h: ["selfish"] } }));
    expect(graph.errors.join("\n")).toContain('h/selfish requires resource "job", which it provides itself');
    expect(graph.roots.map((r) => [r.id, r.cycle])).toEqual([["h/selfish", true]]);
    expect(graph.edges.map((e) => [e.from, e.to, e.key, e.cycle])).toEqual([["h/selfish", "h/selfish", "job", true]]);
  });

  test("a requirement nothing provides (here: on the host it names) becomes a missing node with its requirers", () => {
    const graph = graphOf(model({ components: COMPONENTS, hosts: { web: ["lonely", "database"] } }));
    expect(graph.missing).toEqual([{ id: "nothing provides database on db1", key: "database", host: "db1", requiredBy: ["web/lonely"] }]);
    expect(graph.errors).toContain('resource "database" on host db1 is required but nothing provides it');
    // web's database is seen by no requirement either.
    expect(graph.unused.map((u) => u.providedBy)).toEqual(["web/database"]);
  });

  test("a provided resource nothing requires becomes an unused node", () => {
    const graph = graphOf(model({ components: COMPONENTS, hosts: { h: ["generous"] } }));
    expect(graph.unused).toEqual([{ id: "nothing requires nobody-wants-this from h/generous", key: "nobody-wants-this", providedBy: "h/generous" }]);
  });

  test("a failed configure() marks its root with the first error, masked; the rest still configures and draws", () => {
    const mask = (text: string) => text.replaceAll("hunter2-secret", "<secret>");
    const graph = graphOf(model({ components: COMPONENTS, hosts: { h: ["broken", "database", "app"] } }), mask);
    const roots = Object.fromEntries(graph.roots.map((r) => [r.id, r]));
    expect(roots["h/broken"]!.failed).toBe("configure() failed: Error: the password is <secret>");
    expect(roots["h/app"]!.failed).toBeUndefined();
    expect(graph.edges.map((e) => `${e.from} ${e.key} ${e.to}`)).toEqual(["h/database database h/app"]);
    expect(graph.errors.join("\n")).not.toContain("hunter2");
  });
});
