/** Resources across hosts, the configure fixpoint and its errors, and the graph helper. */
import { afterEach, describe, expect, test } from "bun:test";
import { Component } from "../../lib/batou.ts";
import { configure, configureScope } from "../../lib/engine/configure.ts";
import { CycleError, topologicalOrder } from "../../lib/engine/topological-order.ts";
import { cleanupModels, errorText, type Model, model, thrown } from "../helpers/model.ts";

let m: Model | undefined;
afterEach(() => {
  cleanupModels();
  m = undefined;
});

class Provider extends Component {
  override configure() {
    this.provide("answer", { host: this.host.name, value: 42 });
  }
}

class Consumer extends Component {
  seen: unknown[] = [];
  override configure() {
    this.seen = this.require("answer");
  }
}

class SameHostConsumer extends Component {
  seen: unknown[] = [];
  override configure() {
    this.seen = this.require("answer", { host: this.host });
  }
}

class OneConsumer extends Component {
  seen: unknown = null;
  override configure() {
    this.seen = this.requireOne("answer");
  }
}

class OptionalConsumer extends Component {
  seen: unknown = null;
  override configure() {
    this.seen = this.requireOne("answer", { strict: false });
  }
}

class Aggressive extends Component {
  value = 0;
  override configure() {
    this.value = this.require<{ value: number }>("answer")[0]!.value;
  }
}

class Circular1 extends Component {
  override configure() {
    this.require("b");
    this.provide("a", 1);
  }
}

class Circular2 extends Component {
  override configure() {
    this.require("a");
    this.provide("b", 2);
  }
}

class DirtyCircular2 extends Component {
  seen: unknown[] = [];
  override configure() {
    this.seen = this.require("a", { dirty: true, reverse: true });
    this.provide("b", 2);
  }
}

const ALL = {
  provider: Provider,
  consumer: Consumer,
  samehost: SameHostConsumer,
  one: OneConsumer,
  aggressive: Aggressive,
  optional: OptionalConsumer,
  circular1: Circular1,
  circular2: Circular2,
  dirtycircular2: DirtyCircular2,
};

function build(hosts: Record<string, string[]>): Model {
  m = model({ components: ALL, hosts });
  return m;
}

describe("provide and require", () => {
  test("values cross hosts whatever the order; providers deploy first", () => {
    build({ a: ["consumer"], b: ["provider"], c: ["one"] });
    const result = m!.configure();
    expect(m!.component<Consumer>("consumer").seen).toEqual([{ host: "b", value: 42 }]);
    expect(m!.component<OneConsumer>("one").seen).toEqual({ host: "b", value: 42 });
    expect(result.order.map((r) => r.id)).toEqual(["b/provider", "a/consumer", "c/one"]);
    expect([...result.dependencies.get(m!.root("consumer"))!].map((r) => r.id)).toEqual(["b/provider"]);
    expect(result.dependencies.get(m!.root("provider"))!.size).toBe(0);
  });

  test("every provider's values are collected", () => {
    build({ a: ["provider", "consumer"], b: ["provider"] });
    m!.configure();
    expect(m!.component<Consumer>("consumer").seen).toEqual([
      { host: "a", value: 42 },
      { host: "b", value: 42 },
    ]);
  });

  test("a host filter only sees providers on that host", () => {
    build({ a: ["samehost", "provider"], b: ["provider", "samehost"] });
    const result = m!.configure();
    expect(m!.component<SameHostConsumer>("samehost", "a").seen).toEqual([{ host: "a", value: 42 }]);
    expect(m!.component<SameHostConsumer>("samehost", "b").seen).toEqual([{ host: "b", value: 42 }]);
    expect([...result.dependencies.get(m!.root("samehost", "a"))!].map((r) => r.id)).toEqual(["a/provider"]);
  });

  test("a strict requirement nobody satisfies names the key and the requirer", () => {
    build({ a: ["consumer"] });
    const text = errorText(thrown(() => m!.configure()));
    expect(text).toContain('resource "answer"');
    expect(text).toContain("a/consumer");
  });

  test("a host-filtered requirement satisfied only elsewhere is unsatisfied, naming the host", () => {
    build({ a: ["samehost"], b: ["provider", "consumer"] });
    const text = errorText(thrown(() => m!.configure()));
    expect(text).toContain('resource "answer" on host a is required but nothing provides it');
    expect(text).toContain("a/samehost");
  });

  test("requireOne: nothing (strict) is unsatisfied, nothing (not strict) is undefined, many is an error", () => {
    build({ a: ["one"] });
    expect(errorText(thrown(() => m!.configure()))).toMatch(/resource "answer".*nothing provides it[\s\S]*a\/one/);
    m!.cleanup();

    build({ a: ["optional"] });
    m!.configure();
    expect(m!.component<OptionalConsumer>("optional").seen).toBeUndefined();
    m!.cleanup();

    build({ a: ["provider", "one"], b: ["provider"] });
    const text = errorText(thrown(() => m!.configure()));
    expect(text).toContain('resource "answer" has 2 providers, requireOne() expects one');
    expect(text).toContain("host: a");
  });

  test("errors of early rounds are forgotten once the model converges", () => {
    build({ a: ["aggressive"], b: ["provider"] });
    const result = m!.configure();
    expect(m!.component<Aggressive>("aggressive").value).toBe(42);
    expect(result.rounds).toBeGreaterThan(1);
    m!.cleanup();

    build({ a: ["aggressive"] });
    const text = errorText(thrown(() => m!.configure()));
    expect(text).toContain("configure() failed: TypeError");
    expect(text).toContain('resource "answer" is required but nothing provides it');
  });

  test("a provided but unused resource is an error naming key, host and component", () => {
    build({ a: ["provider"] });
    const text = errorText(thrown(() => m!.configure()));
    expect(text).toContain('resource "answer" is provided but nothing requires it');
    expect(text).toContain("host: a");
    expect(text).toContain("component: provider");
  });

  test("a provider seen only through another host's filter is unused", () => {
    build({ a: ["samehost", "provider"], b: ["provider"] });
    const text = errorText(thrown(() => m!.configure()));
    expect(text).toContain("host: b");
    expect(text).not.toContain("host: a");
  });
});

/** Provides "answer" computed from what it requires under "base" (a provider that is also a consumer). */
class Relay extends Component {
  override configure() {
    const base = this.require<number>("base");
    this.provide("answer", { host: this.host.name, value: base.reduce((a, b) => a + b, 0) });
  }
}

class Base extends Component {
  override configure() {
    this.provide("base", 40);
  }
}

class Unused extends Component {
  override configure() {
    this.provide("nobody-wants-this", 1);
  }
}

describe("scoped configure (what a host's agent configures)", () => {
  const spec = { components: { relay: Relay, base: Base, consumer: Consumer, samehost: SameHostConsumer, unused: Unused, provider: Provider }, hosts: { web1: ["consumer"], web2: ["samehost", "provider"], mid: ["relay"], db: ["base"], other: ["unused"] } };

  test("the scope is the host's roots and, transitively, their providers only", () => {
    m = model({ ...spec, hosts: { ...spec.hosts, other: [] } });
    m.configure();
    expect(configureScope(m.environment, "web1").sort()).toEqual(["db/base", "mid/relay", "web1/consumer", "web2/provider"]);
    // web2's consumer reads only its own host's provider: mid and db are not in its scope
    expect(configureScope(m.environment, "web2").sort()).toEqual(["web2/provider", "web2/samehost"]);
    expect(configureScope(m.environment, "db")).toEqual(["db/base"]);
  });

  test("roots in the scope see the same values as in the whole model; the rest is not configured", () => {
    m = model({ ...spec, hosts: { ...spec.hosts, other: [] } });
    m.configure();
    const whole = m.component<Consumer>("consumer").seen;
    const scope = new Set(configureScope(m.environment, "web1"));
    const fresh = model({ ...spec, hosts: { ...spec.hosts, other: [] } });
    const result = configure(fresh.environment, { scope });
    expect(fresh.component<Consumer>("consumer").seen).toEqual(whole);
    expect(whole).toContainEqual({ host: "mid", value: 40 });
    expect(fresh.root("samehost").component).toBeUndefined();
    expect(result.order.map((root) => root.id).sort()).toEqual([...scope].sort());
  });

  test("a resource nobody in the scope requires is no error there, but is in the whole model", () => {
    m = model(spec);
    expect(errorText(thrown(() => m!.configure()))).toContain('resource "nobody-wants-this" is provided but nothing requires it');
    const fresh = model(spec);
    expect(() => configure(fresh.environment, { scope: new Set(["other/unused"]) })).not.toThrow();
  });
});

describe("cycles", () => {
  test("a provide/require cycle is an error naming both roots", () => {
    build({ h: ["circular1", "circular2"] });
    const text = errorText(thrown(() => m!.configure()));
    expect(text).toContain("dependency cycle");
    expect(text).toContain("h/circular1 depends on h/circular2");
    expect(text).toContain("h/circular2 depends on h/circular1");
  });

  test("dirty (with reverse) breaks the cycle, and reverse flips the deploy order", () => {
    build({ h: ["circular1", "dirtycircular2"] });
    const result = m!.configure();
    expect(m!.component<DirtyCircular2>("dirtycircular2").seen).toEqual([1]);
    // circular1 requires b from dirtycircular2, and the reversed a-edge also puts circular1 after it.
    expect(result.order.map((r) => r.name)).toEqual(["dirtycircular2", "circular1"]);
  });

  test("reverse alone makes the provider deploy after the requirer", () => {
    class Early extends Component {
      override configure() {
        this.require("late", { reverse: true });
      }
    }
    class Late extends Component {
      override configure() {
        this.provide("late", "x");
      }
    }
    m = model({ components: { early: Early, late: Late }, hosts: { h: ["late", "early"] } });
    expect(m.configure().order.map((r) => r.name)).toEqual(["early", "late"]);
  });
});

describe("configure errors", () => {
  test("a component that throws is reported with host and component; others still configure", () => {
    class Broken extends Component {
      override configure() {
        throw new Error("kaputt");
      }
    }
    m = model({ components: { broken: Broken, consumer: Consumer, provider: Provider }, hosts: { h: ["broken", "consumer", "provider"] } });
    const error = thrown(() => m!.configure());
    const text = errorText(error);
    expect((error as { errors?: unknown[] }).errors).toHaveLength(1);
    expect(text).toContain("configure() failed: Error: kaputt");
    expect(text).toContain("host: h");
    expect(text).toContain("component: Broken");
    expect(m.component<Consumer>("consumer").seen).toHaveLength(1);
  });

  test("ignored roots still configure and provide", () => {
    m = model({ components: ALL, hosts: { a: ["!provider", "consumer"] } });
    m.configure();
    expect(m.component<Consumer>("consumer").seen).toHaveLength(1);
  });
});

describe("topologicalOrder", () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

  test("dependencies come first; ties keep insertion order", () => {
    expect(topologicalOrder(graph({ app: ["db"], db: [] }))).toEqual(["db", "app"]);
    expect(topologicalOrder(graph({ a: [], b: [], c: [] }))).toEqual(["a", "b", "c"]);
    expect(topologicalOrder(graph({ 1: ["2"], 2: ["3"], 3: ["4"], 4: [] }))).toEqual(["4", "3", "2", "1"]);
    expect(topologicalOrder(graph({ web: ["db", "cache"], cache: ["db"], db: [] }))).toEqual(["db", "cache", "web"]);
  });

  test("dependencies outside the graph are ignored", () => {
    expect(topologicalOrder(graph({ a: ["elsewhere"] }))).toEqual(["a"]);
  });

  test("a cycle throws with only the nodes of the cycle", () => {
    const error = thrown(() => topologicalOrder(graph({ x: [], a: ["b", "x"], b: ["c"], c: ["a"], d: ["a"] })));
    expect(error).toBeInstanceOf(CycleError);
    const remaining = (error as unknown as CycleError<string>).remaining;
    expect([...remaining.keys()].sort()).toEqual(["a", "b", "c"]);
    expect([...remaining.get("a")!]).toEqual(["b"]);
    expect(thrown(() => topologicalOrder(graph({ self: ["self"] })))).toBeInstanceOf(CycleError);
  });
});
