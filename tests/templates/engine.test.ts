/**
 * What the fidelity suite cannot put into a JSON context: values as this
 * tool's components hold them (a `"float"` attribute, camelCase fields) and
 * the compile cache.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { attribute, Component } from "../../lib/batou.ts";
import { compiledTemplate, renderTemplate } from "../../lib/engine/template.ts";
import { cleanupModels, model } from "../helpers/model.ts";

afterEach(cleanupModels);

describe("a \"float\" attribute prints as Python prints a float, as batou's Attribute(float) did", () => {
  class Gauge extends Component {
    ratio = attribute("float", { defaultText: "2" });
    limit = attribute("float", { default: 3 });
    count = attribute("number", { default: 3 });
    serviceTimeout = attribute("float", { default: 1.5 });
    rendered = "";
    seen: unknown;
    override configure() {
      this.seen = this.ratio * 2;
      this.rendered = this.expand(
        "{{ component.ratio }}|{{ component.limit }}|{{ component.count }}|{{ component.service_timeout }}|{{ component.ratio * 2 }}|{{ component.ratio | int }}|{{ [component.limit] }}|{{ component.ratio == 2 }}",
      );
    }
  }

  test("from its default text, its default and an override: 2.0, not 2; TypeScript code sees a number", () => {
    const m = model({ components: { gauge: Gauge }, hosts: { localhost: ["gauge"] } });
    m.configure();
    const gauge = m.component<Gauge>("gauge");
    expect(gauge.rendered).toBe("2.0|3.0|3|1.5|4.0|2|[3.0]|True");
    expect(gauge.seen).toBe(4);
    expect(typeof gauge.ratio).toBe("number");
  });

  test("an override, as text or as a TOML number", () => {
    for (const ratio of ["5", 5]) {
      const m = model({ components: { gauge: Gauge }, hosts: { localhost: ["gauge"] }, overrides: { gauge: { ratio } } });
      m.configure();
      expect(m.component<Gauge>("gauge").rendered).toStartWith("5.0|");
      cleanupModels();
    }
  });

  test("a value that is no number is an error naming the conversion", () => {
    const m = model({ components: { gauge: Gauge }, hosts: { localhost: ["gauge"] }, overrides: { gauge: { ratio: "half" } } });
    expect(() => m.configure()).toThrow(/cannot convert the value of "ratio": not a number/);
  });
});

test("batou's snake_case names and this tool's camelCase ones both work", () => {
  class Names extends Component {
    listenPort = 8080;
    rendered = "";
    override configure() {
      this.rendered = this.expand(
        "{{ component.listen_port }} {{ component.listenPort }} {{ host.service_user }} {{ host.serviceUser }} {{ environment.host_domain }} {{ environment.hostDomain }}",
      );
    }
  }
  const m = model({ components: { names: Names }, hosts: { localhost: ["names"] }, settings: { serviceUser: "app", hostDomain: "example.com" } });
  m.configure();
  expect(m.component<Names>("names").rendered).toBe("8080 8080 app app example.com example.com");
});

describe("the compile cache", () => {
  test("a template is compiled once per source text and rendered with every context", () => {
    const source = `{{ name }} ${crypto.randomUUID()}`;
    const first = compiledTemplate(source);
    expect(compiledTemplate(source)).toBe(first);
    expect(compiledTemplate(`${source} `)).not.toBe(first);
    expect(renderTemplate(source, { name: "a" }, "t")).toStartWith("a ");
    expect(renderTemplate(source, { name: "b" }, "t")).toStartWith("b ");
    expect(compiledTemplate(source)).toBe(first);
  });

  test("it holds a bounded number of templates, dropping the oldest first", () => {
    const oldSource = `oldest ${crypto.randomUUID()}`;
    const oldest = compiledTemplate(oldSource);
    const source = `kept ${crypto.randomUUID()}`;
    for (let i = 0; i < 2100; i++) compiledTemplate(`filler ${i} ${crypto.randomUUID()}`);
    const again = compiledTemplate(source);
    expect(compiledTemplate(source)).toBe(again);
    expect(compiledTemplate(oldSource)).not.toBe(oldest);
  });
});
