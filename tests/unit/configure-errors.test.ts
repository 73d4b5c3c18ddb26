/**
 * One run reports every configuration error of the model, root causes first;
 * what only follows from another error is marked "(because … failed to
 * configure)" and comes after it (batou's examples/errors2, in our words).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Component, CronJob, CronTab } from "../../lib/batou.ts";
import { type ConfigurationErrors } from "../../lib/engine/errors.ts";
import { cleanupModels, errorText, model, thrown } from "../helpers/model.ts";

afterEach(cleanupModels);

class Broken extends Component {
  override configure() {
    throw new Error("no database configured");
  }
}

/** Fails before it gets to provide what others need. */
class BrokenProvider extends Component {
  override configure() {
    const settings: Record<string, string> = {};
    if (!settings.url) throw new Error("no url");
    this.provide("application", settings.url);
  }
}

/** Needs "application"; only requires it. */
class Needy extends Component {
  override configure() {
    this.require("application");
  }
}

/** Like a CronTab without jobs: an error of its own when a resource is empty. */
class Collector extends Component {
  override configure() {
    if (this.require("job", { strict: false }).length === 0) throw new Error("no jobs found");
  }
}

class JobMaker extends Component {
  override configure() {
    throw new Error("job maker is broken");
  }
}

class Giver extends Component {
  override configure() {
    this.provide("frontend", "test00.example.com");
    this.provide("backend", "192.168.0.1");
  }
}

class Cycle1 extends Component {
  override configure() {
    this.require("a");
    this.provide("b", 1);
  }
}

class Cycle2 extends Component {
  override configure() {
    this.require("b");
    this.provide("a", 1);
  }
}

class Typed extends Component {
  port = 8080;
  name = "app";
  settings: Record<string, unknown> = { cache: false };
  flags: string[] = [];
}

const errorsOf = (fn: () => unknown) => (thrown(fn) as unknown as ConfigurationErrors).errors.map((e) => e.message);

describe("all errors at once", () => {
  test("failures, unsatisfied and unused resources and a cycle are reported together", () => {
    const m = model({
      components: { broken: Broken, needy: Needy, giver: Giver, cycle1: Cycle1, cycle2: Cycle2 },
      hosts: { localhost: ["broken", "needy", "giver", "cycle1", "cycle2"] },
    });
    const messages = errorsOf(() => m.configure());
    expect(messages).toContain("configure() failed: Error: no database configured");
    expect(messages).toContain('resource "application" is required but nothing provides it (because localhost/broken failed to configure)');
    expect(messages.some((msg) => msg.startsWith("dependency cycle between root components"))).toBe(true);
    expect(messages).toContain('resource "frontend" is provided but nothing requires it (because localhost/broken failed to configure)');
    expect(messages).toContain('resource "backend" is provided but nothing requires it (because localhost/broken failed to configure)');
    // The cause first, knock-on errors last; no "does not converge" noise.
    expect(messages[0]).toBe("configure() failed: Error: no database configured");
    expect(messages.some((msg) => msg.includes("does not converge"))).toBe(false);
  });

  test("without failures, unsatisfied and unused resources are causes of their own", () => {
    const m = model({ components: { needy: Needy, giver: Giver }, hosts: { localhost: ["needy", "giver"] } });
    expect(errorsOf(() => m.configure()).sort()).toEqual([
      'resource "application" is required but nothing provides it',
      'resource "backend" is provided but nothing requires it',
      'resource "frontend" is provided but nothing requires it',
    ]);
  });

  test("a broken component reports its real exception, and only that (batou: test_broken_component_logs_real_exception)", () => {
    const m = model({ components: { broken: Broken }, hosts: { localhost: ["broken"] } });
    const text = errorText(thrown(() => m.configure()));
    expect(text).toMatch(/^configure\(\) failed: Error: no database configured\n/);
    expect(text).toContain("host: localhost\ncomponent: Broken");
    expect((thrown(() => m.configure()) as unknown as ConfigurationErrors).errors).toHaveLength(1);
  });

  test("a root that requires what it provides itself is named as such, with what to do (batou refuses it too, as a cycle)", () => {
    class Cron extends Component {
      override configure() {
        this.add(new CronJob("bin/cleanup", { timing: "@daily" }));
        this.add(new CronTab());
      }
    }
    const m = model({ components: { cron: Cron }, hosts: { localhost: ["cron"] } });
    const error = (thrown(() => m.configure()) as unknown as ConfigurationErrors).errors;
    expect(error).toHaveLength(1);
    expect(error[0]!.message).toBe('localhost/cron requires resource "cronjob", which it provides itself');
    expect(String(error[0]!.context.hint)).toContain("into a root component of its own");
  });

  test("a cycle alone is one error, not followed by a non-convergence error", () => {
    const m = model({ components: { cycle1: Cycle1, cycle2: Cycle2 }, hosts: { localhost: ["cycle1", "cycle2"] } });
    const messages = errorsOf(() => m.configure());
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^dependency cycle between root components:\n {2}localhost\/cycle1 depends on localhost\/cycle2\n {2}localhost\/cycle2 depends on localhost\/cycle1$/);
  });
});

describe("knock-on errors", () => {
  test("what needs a failed provider is marked and comes after the cause", () => {
    const m = model({
      components: { needy: Needy, brokenprovider: BrokenProvider, collector: Collector, jobmaker: JobMaker },
      hosts: { web: ["needy", "collector"], db: ["brokenprovider", "jobmaker"] },
    });
    const messages = errorsOf(() => m.configure());
    expect(messages).toEqual([
      "configure() failed: Error: no url",
      "configure() failed: Error: job maker is broken",
      "configure() failed: Error: no jobs found (because db/brokenprovider, db/jobmaker failed to configure)",
      'resource "application" is required but nothing provides it (because db/brokenprovider, db/jobmaker failed to configure)',
    ]);
  });

  test("a CronTab whose jobs' component failed says so, after the cause", () => {
    class Jobs extends Component {
      override configure() {
        throw new Error("app is broken");
        this.add(new CronJob("bin/run", { timing: "0 3 * * *" }));
      }
    }
    class Cron extends Component {
      override configure() {
        this.add(new CronTab());
      }
    }
    const m = model({ components: { jobs: Jobs, cron: Cron }, hosts: { web: ["jobs", "cron"] } });
    expect(errorsOf(() => m.configure())).toEqual([
      "configure() failed: Error: app is broken",
      "no cron jobs on host web for its CronTab (because web/jobs failed to configure)",
    ]);
  });

  test("an error of a root that read an empty resource, with nothing else failing, is a cause", () => {
    const m = model({ components: { collector: Collector }, hosts: { web: ["collector"] } });
    expect(errorsOf(() => m.configure())).toEqual(["configure() failed: Error: no jobs found"]);
  });
});

describe("overrides", () => {
  test("every unknown attribute in one message; each type error with its value", () => {
    const m = model({
      components: { typed: Typed },
      hosts: { localhost: ["typed"] },
      overrides: { typed: { prot: 80, nmae: "x", port: "eighty", flags: "a,b" } },
    });
    const error = thrown(() => m.configure()) as unknown as ConfigurationErrors;
    expect(error.errors.map((e) => e.message)).toEqual([
      'overrides of unknown attributes "prot", "nmae"',
      "override of the wrong type: expected number, got string",
      "override of the wrong type: expected array, got string",
    ]);
    const text = errorText(error);
    expect(text).toContain("attribute: prot, nmae\nknown: port, name, settings, flags");
    expect(text).toContain('attribute: port\nvalue: "eighty"');
  });

  test.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("an override named %s is an unknown attribute; the component is untouched", (key) => {
    const values = JSON.parse(`{"${key}": {"polluted": true}}`);
    const m = model({ components: { typed: Typed }, hosts: { localhost: ["typed"] }, overrides: { typed: values } });
    expect((thrown(() => m.configure()) as unknown as ConfigurationErrors).errors.map((e) => e.message)).toEqual([`override of an unknown attribute "${key}"`]);
    const fresh = new Typed();
    expect(Object.getPrototypeOf(fresh)).toBe(Typed.prototype);
    expect((fresh as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  // Bug: a table override was rejected with "expected table, got object" (TOML tables have no prototype).
  test("a table override replaces a table attribute, inline or as a sub-table", async () => {
    const { parseEnvironmentFile } = await import("../../lib/engine/environment-file.ts");
    const file = parseEnvironmentFile("dev", "environments/dev.toml", new TextEncoder().encode(`[components.typed]\nsettings = { cache = true, size = 3 }\n`));
    const m = model({ components: { typed: Typed }, hosts: { localhost: ["typed"] }, overrides: file.overrides });
    m.configure();
    expect(m.component<Typed>("typed").settings).toEqual({ cache: true, size: 3 });
  });

  test.each([
    ["8080", 8080],
    ["-1.5", -1.5],
    ["1e3", 1000],
  ])("a decimal string %j becomes the number %p", (text, value) => {
    const m = model({ components: { typed: Typed }, hosts: { localhost: ["typed"] }, overrides: { typed: { port: text } } });
    m.configure();
    expect(m.component<Typed>("typed").port).toBe(value);
  });

  test.each(["0x1F", "Infinity", "", " ", "1_000", "0b1"])("%j is not a number", (text) => {
    const m = model({ components: { typed: Typed }, hosts: { localhost: ["typed"] }, overrides: { typed: { port: text } } });
    expect(errorText(thrown(() => m.configure()))).toContain("override of the wrong type: expected number, got string");
  });
});
