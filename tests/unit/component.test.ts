/** The component model: construction, the tree, overrides, platform variants, events. */
import { afterEach, describe, expect, test } from "bun:test";
import { Component, ConfigurationError, UpdateNeeded } from "../../lib/batou.ts";
import { cleanupModels, errorText, type Model, model, rejected, thrown } from "../helpers/model.ts";
import { Purge } from "../../lib/library/purge.ts";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

let m: Model | undefined;
afterEach(() => {
  cleanupModels();
  m = undefined;
});

/** Configures `Top` (whose configure is `body`) on one host and returns it. */
function configureTop(body: (self: Component) => void, extra: { platform?: string; overrides?: Record<string, unknown> } = {}): Component {
  class Top extends Component {
    override configure() {
      body(this);
    }
  }
  m = model({
    components: { top: Top },
    hosts: { localhost: { components: ["top"], platform: extra.platform } },
    overrides: extra.overrides ? { top: extra.overrides } : undefined,
  });
  m.configure();
  return m.component("top");
}

class Named extends Component {
  static override namevar = "label";
  label = "";
  size = 1;
}

class Plain extends Component {
  colour = "red";
}

describe("construction", () => {
  test("the namevar takes the first argument, options set declared fields", () => {
    let child!: Named;
    configureTop((self) => {
      child = self.add(new Named("first", { size: 3 }));
    });
    expect(child.label).toBe("first");
    expect(child.size).toBe(3);
  });

  test("a component without namevar takes its options as first argument", () => {
    let child!: Plain;
    configureTop((self) => {
      child = self.add(new Plain({ colour: "blue" }));
    });
    expect(child.colour).toBe("blue");
  });

  test("a missing namevar is a configuration error naming the class and the field", () => {
    const error = thrown(() => configureTop((self) => void self.add(new Named())));
    expect(errorText(error)).toContain("Named needs a label");
  });

  test("a name given to a class without namevar is an error", () => {
    const error = thrown(() => configureTop((self) => void self.add(new Plain("oops"))));
    expect(errorText(error)).toMatch(/Plain takes no name argument/);
  });

  test("unknown option keys are an error naming every key", () => {
    const error = thrown(() => configureTop((self) => void self.add(new Named("x", { size: 2, colour: "red", shape: 1 } as never))));
    const text = errorText(error);
    expect(text).toContain("colour");
    expect(text).toContain("shape");
    expect(text).toContain("Named");
    expect(text).not.toMatch(/unknown options? .*size/);
  });

  test("methods and engine API cannot be passed as options", () => {
    for (const key of ["configure", "verify", "add", "host", "workdir"]) {
      const error = thrown(() => configureTop((self) => void self.add(new Plain({ [key]: 1 } as never))));
      expect(errorText(error)).toContain(key);
    }
  });
});

describe("the tree", () => {
  test("add() configures children immediately, depth-first, in add order", () => {
    const order: string[] = [];
    class Leaf extends Component {
      static override namevar = "id";
      id = "";
      override configure() {
        order.push(`configure ${this.id}`);
      }
    }
    class Branch extends Component {
      static override namevar = "id";
      id = "";
      override configure() {
        order.push(`enter ${this.id}`);
        this.add(new Leaf(`${this.id}.1`));
        this.add(new Leaf(`${this.id}.2`));
        order.push(`leave ${this.id}`);
      }
    }
    const top = configureTop((self) => {
      const a = self.add(new Branch("a"));
      order.push(`a configured: ${a.subComponents.length} children`);
      self.add(new Branch("b"));
    });
    expect(order).toEqual([
      "enter a",
      "configure a.1",
      "configure a.2",
      "leave a",
      "a configured: 2 children",
      "enter b",
      "configure b.1",
      "configure b.2",
      "leave b",
    ]);
    expect(top.subComponents.map((c) => c.breadcrumb)).toEqual(["Branch('a')", "Branch('b')"]);
  });

  test("add(undefined) is a no-op that returns undefined", () => {
    const top = configureTop((self) => {
      expect(self.add(undefined)).toBeUndefined();
    });
    expect(top.subComponents).toHaveLength(0);
  });

  test("use() configures a helper in context without adding it, and only once", () => {
    let configured = 0;
    class Helper extends Component {
      override configure() {
        configured++;
      }
    }
    let helper!: Helper;
    const top = configureTop((self) => {
      helper = self.use(new Helper());
      self.use(helper);
    });
    expect(configured).toBe(1);
    expect(top.subComponents).toHaveLength(0);
    expect(helper.host.name).toBe("localhost");
    expect(helper.parent).toBe(top);
  });

  test("children know parent, root, host, environment and the shared workdir", () => {
    let child!: Plain;
    const top = configureTop((self) => {
      child = self.add(new Plain());
    });
    expect(child.parent).toBe(top);
    expect(top.parent).toBeUndefined();
    expect(child.root).toBe(m!.root("top"));
    expect(child.host.name).toBe("localhost");
    expect(child.environment.name).toBe("test");
    expect(top.workdir.endsWith("/work/top")).toBe(true);
    expect(child.workdir).toBe(top.workdir);
    expect(child.map("x/y")).toBe(`${top.workdir}/x/y`);
    expect(child.map("/etc/../etc/hosts")).toBe("/etc/hosts");
  });

  test("breadcrumbs name the path from the top-level component", () => {
    let leaf!: Plain;
    configureTop((self) => {
      const named = self.add(new Named("web"));
      leaf = named.add(new Plain());
    });
    expect(leaf.breadcrumbs).toBe("Top > Named('web') > Plain");
    expect(String(leaf)).toBe(`<Plain (localhost) "Top > Named('web') > Plain">`);
  });
});

describe("overrides of top-level components", () => {
  class Service extends Component {
    port = 8080;
    name = "svc";
    debug = false;
    tags: string[] = [];
    seen = 0;
    override configure() {
      this.seen = this.port;
    }
  }

  function configureService(overrides: Record<string, unknown>): Service {
    m = model({ components: { service: Service }, hosts: { localhost: ["service"] }, overrides: { service: overrides } });
    m.configure();
    return m.component<Service>("service");
  }

  test("are applied before configure() runs", () => {
    const service = configureService({ port: 9000, name: "api", tags: ["a"] });
    expect(service.seen).toBe(9000);
    expect(service.name).toBe("api");
    expect(service.tags).toEqual(["a"]);
  });

  test("strings convert to numbers and booleans when unambiguous", () => {
    const service = configureService({ port: "9001", debug: "true" });
    expect(service.port).toBe(9001);
    expect(service.debug).toBe(true);
  });

  test("an unknown attribute is an error naming file, component and attribute", () => {
    const text = errorText(thrown(() => configureService({ prot: 1 })));
    expect(text).toContain("prot");
    expect(text).toContain("Service");
    expect(text).toContain("environments/test.toml");
  });

  test("a value of the wrong type is an error naming expected and given type", () => {
    const text = errorText(thrown(() => configureService({ port: "many" })));
    expect(text).toContain("port");
    expect(text).toMatch(/expected number, got string/);
    const arrayText = errorText(thrown(() => configureService({ tags: "a,b" })));
    expect(arrayText).toMatch(/expected array, got string/);
  });
});

describe("platform variants", () => {
  test("are added as the last child on the exact class, on hosts of that platform", () => {
    class Base extends Component {
      override configure() {
        this.add(new Plain());
      }
    }
    class OnDebian extends Component {}
    class OnAlpine extends Component {}
    Base.addPlatformVariant("debian", OnDebian);
    Base.addPlatformVariant("alpine", OnAlpine);
    class Derived extends Base {}

    let base!: Base;
    let derived!: Derived;
    configureTop(
      (self) => {
        base = self.add(new Base());
        derived = self.add(new Derived());
      },
      { platform: "debian" },
    );
    expect(base.subComponents.map((c) => c.constructor.name)).toEqual(["Plain", "OnDebian"]);
    expect(derived.subComponents.map((c) => c.constructor.name)).toEqual(["Plain"]);

    configureTop((self) => void (base = self.add(new Base())), { platform: "freebsd" });
    expect(base.subComponents.map((c) => c.constructor.name)).toEqual(["Plain"]);
  });
});

describe("before-update events", () => {
  test("'*' handlers run for every update in the tree, 'precursor' only for earlier components", async () => {
    const calls: string[] = [];
    class Step extends Component {
      static override namevar = "id";
      id = "";
      needsUpdate = true;
      scope: "*" | "precursor" = "*";
      override configure() {
        this.on("before-update", (trigger) => void calls.push(`${this.id}(${this.scope}) <- ${(trigger as Step).id}`), { scope: this.scope });
      }
      override async verify() {
        if (this.needsUpdate) throw new UpdateNeeded();
      }
      override async update() {
        calls.push(`update ${this.id}`);
      }
    }
    configureTop((self) => {
      self.add(new Step("a", { scope: "precursor" }));
      self.add(new Step("b", { scope: "*" }));
      self.add(new Step("c", { scope: "precursor", needsUpdate: false }));
    });
    await m!.deploy();
    expect(calls).toEqual([
      // a updates: b ('*') hears it, c (precursor, after a) hears it
      "b(*) <- a",
      "c(precursor) <- a",
      "update a",
      // b updates: its own '*' handler hears it, a (before b) is not told, c (after b) is
      "b(*) <- b",
      "c(precursor) <- b",
      "update b",
    ]);
  });

  test("handlers are announced, not called, when predicting; and not at all without updates", async () => {
    const calls: string[] = [];
    class Quiet extends Component {
      override configure() {
        this.on("before-update", () => void calls.push("called"));
      }
    }
    class Loud extends Component {
      override async verify() {
        throw new UpdateNeeded();
      }
    }
    configureTop((self) => {
      self.add(new Quiet());
    });
    await m!.deploy();
    expect(calls).toEqual([]);
    m!.cleanup();

    configureTop((self) => {
      self.add(new Quiet());
      self.add(new Loud());
    });
    const events = await m!.deploy({ predicting: true });
    expect(calls).toEqual([]);
    expect(events.some((e) => e.event === "log" && e.message.includes("before-update"))).toBe(true);
    await m!.deploy();
    expect(calls).toEqual(["called"]);
  });
});

describe("warnings after configure", () => {
  test("components created but never added, and update() without verify(), are reported", () => {
    class Forgotten extends Component {}
    class Blind extends Component {
      override async update() {}
    }
    class Careless extends Component {
      override configure() {
        new Forgotten();
        this.add(new Blind());
      }
    }
    m = model({ components: { careless: Careless }, hosts: { localhost: ["careless"] } });
    const { warnings } = m.configure();
    expect(warnings).toContainEqual(expect.stringMatching(/localhost\/careless: created but never added with add\(\): Forgotten/));
    expect(warnings).toContainEqual(expect.stringMatching(/^Blind has update\(\) but no verify\(\)/));
  });
});

describe("configure() must be synchronous", () => {
  test("an async configure is a configuration error", () => {
    class Async extends Component {
      override async configure() {}
    }
    m = model({ components: { async: Async as never }, hosts: { localhost: ["async"] } });
    const error = thrown(() => m!.configure());
    expect(errorText(error)).toContain("must not be async");
    expect((error as unknown as { errors: unknown[] }).errors[0]).toBeInstanceOf(ConfigurationError);
  });
});

describe("recursiveSubComponents and runningChecksum (batou: recursive_sub_components, checksum)", () => {
  class Leaf extends Component {
    static override namevar = "label";
    label = "";
  }
  class Branch extends Component {
    static override namevar = "label";
    label = "";
    override configure() {
      this.add(new Leaf(`${this.label}y0`));
      this.add(new Leaf(`${this.label}y1`));
    }
  }

  test("depth first, each component before its children, itself excluded", () => {
    const top = configureTop((self) => {
      for (const label of ["x0", "x1", "x2"]) self.add(new Branch(label));
    });
    expect(top.recursiveSubComponents().map((c) => (c as Leaf).label)).toEqual(["x0", "x0y0", "x0y1", "x1", "x1y0", "x1y1", "x2", "x2y0", "x2y1"]);
    expect(top.subComponents[0]!.recursiveSubComponents().map((c) => (c as Leaf).label)).toEqual(["x0y0", "x0y1"]);
  });

  test("a running sha256: empty, after values, order-dependent, and reading does not change it", () => {
    const top = configureTop(() => {});
    expect(top.runningChecksum()).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(top.runningChecksum("foo")).toBe("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
    expect(top.runningChecksum(new TextEncoder().encode("bar"))).toBe("c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2");
    expect(top.runningChecksum()).toBe("c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2");
    expect(top.runningChecksum()).toBe("c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2");
    const other = configureTop(() => {});
    other.runningChecksum("bar");
    expect(other.runningChecksum("foo")).toBe("88ecde925da3c6f8ec3d140683da9d2a422f26c1ae1d9212da1e5a53416dcc88");
  });
});

test("a tree waits before its next component while the events' reader is behind (the agent's stdout backlog)", async () => {
  const verified: string[] = [];
  let release!: () => void;
  let backlog: Promise<void> | undefined;
  class Part extends Component {
    static override namevar = "label";
    label = "";
    async verify() {
      verified.push(this.label);
      // the reader falls behind with "a"'s events: "b" waits until it caught up
      if (this.label === "a") backlog = new Promise<void>((resolve) => (release = resolve));
    }
  }
  class Tree extends Component {
    configure() {
      for (const label of ["a", "b", "c"]) this.add(new Part(label));
    }
  }
  const m = model({ components: { tree: Tree }, hosts: { localhost: ["tree"] } });
  const deploying = m.deploy({ room: () => backlog });
  for (let i = 0; i < 20; i++) await Bun.sleep(1);
  expect(verified).toEqual(["a"]);
  backlog = undefined;
  release();
  await deploying;
  expect(verified).toEqual(["a", "b", "c"]);
});

describe("stopping inside a long loop (Ctrl-C, SIGTERM: issue 11 item 3)", () => {
  test("stopIfInterrupted() in a loop of update() ends the loop when the deployment is told to stop", async () => {
    const stopping = new AbortController();
    let done = 0;
    class Loop extends Component {
      async verify() {
        throw new UpdateNeeded();
      }
      async update() {
        for (let i = 0; i < 1000; i++) {
          await this.stopIfInterrupted();
          if (i === 10) stopping.abort(); // what a SIGTERM or the agent's closed stdin does
          done++;
        }
      }
    }
    const m = model({ components: { loop: Loop }, hosts: { localhost: ["loop"] } });
    const error = await rejected(() => m.deploy({ stop: stopping.signal }));
    expect(error.message).toBe("the deployment was stopped in Loop");
    expect(error.context).toMatchObject({ component: "Loop", step: "update", stopped: "yes" });
    expect(done).toBe(11);
  });

  test("without a stop it only lets pending events in", async () => {
    class Loop extends Component {
      count = 0;
      async verify() {
        throw new UpdateNeeded();
      }
      async update() {
        for (let i = 0; i < 100; i++) {
          await this.stopIfInterrupted();
          this.count++;
        }
      }
    }
    const m = model({ components: { loop: Loop }, hosts: { localhost: ["loop"] } });
    await m.deploy();
    expect(m.component<Loop>("loop").count).toBe(100);
  });

  test("Purge stops between the paths it removes", async () => {
    const stopping = new AbortController();
    let base = "";
    class Cache extends Component {
      configure() {
        base = join(this.workdir, "cache");
        mkdirSync(base, { recursive: true });
        for (let i = 0; i < 50; i++) writeFileSync(join(base, `f${i}`), "x");
        this.add(new StoppingPurge("cache/*"));
      }
    }
    class StoppingPurge extends Purge {
      override async update() {
        stopping.abort(); // the stop arrives while the paths are being removed
        await super.update();
      }
    }
    const m = model({ components: { cache: Cache }, hosts: { localhost: ["cache"] } });
    const error = await rejected(() => m.deploy({ stop: stopping.signal }));
    expect(error.message).toBe("the deployment was stopped in Cache > StoppingPurge('cache/*')");
    expect(existsSync(base) && readdirSync(base).length).toBe(50);
  });
});
