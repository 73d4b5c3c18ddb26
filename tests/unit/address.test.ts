/** Address and NetLoc (batou.utils): parsing, formatting, resolution, require_v4/v6, [resolver] (batou's test_utils cases, in our words). */
import { afterEach, describe, expect, test } from "bun:test";
import { Address, type AddressContext, NetLoc, usableAddresses, withAddressContext } from "../../lib/engine/address.ts";
import { Component } from "../../lib/engine/component.ts";
import { attribute } from "../../lib/engine/attribute.ts";
import { cleanupModels, errorText, model, thrown } from "../helpers/model.ts";

afterEach(cleanupModels);

const context = (more: Partial<AddressContext>): AddressContext => ({
  resolver: {},
  requireV4: true,
  requireV6: false,
  resolve: "here",
  timeout: 10,
  ...more,
});
const within = <T>(more: Partial<AddressContext>, fn: () => T) => withAddressContext(context(more), fn);

describe("NetLoc", () => {
  test("formats host, host:port and [v6]:port", () => {
    expect(String(new NetLoc("127.0.0.1"))).toBe("127.0.0.1");
    expect(String(new NetLoc("127.0.0.5", 80))).toBe("127.0.0.5:80");
    expect(String(new NetLoc("::1", 80))).toBe("[::1]:80");
    expect(JSON.stringify({ at: new NetLoc("db", 5432) })).toBe('{"at":"db:5432"}');
  });

  test("sorts by its string form", () => {
    const sorted = [new NetLoc("asdf", 90), new NetLoc("127.0.0.5", 80), new NetLoc("asdf"), new NetLoc("127.0.0.5")].map(String).sort();
    expect(sorted).toEqual(["127.0.0.5", "127.0.0.5:80", "asdf", "asdf:90"]);
  });
});

describe("Address", () => {
  test("host:port, (host, port) and [v6]:port; the string form is the connect string", () => {
    const a = new Address("localhost:8080");
    expect(a.connect.host).toBe("localhost");
    expect(a.connect.port).toBe(8080);
    expect(`${a}`).toBe("localhost:8080");
    expect(String(new Address("localhost", 8080))).toBe("localhost:8080");
    expect(String(new Address("[::1]:22"))).toBe("[::1]:22");
    expect(String(new Address("::1", 22))).toBe("[::1]:22");
  });

  test.each([
    ["localhost", /address "localhost" has no port/],
    ["::1", /address "::1" has no port[^]*write an IPv6 address in brackets/],
    ["localhost:http", /address "localhost:http" has no valid port/],
    ["localhost:70000", /has no valid port/],
    ["", /an address needs a host/],
  ])("%j is an error", (text, message) => {
    expect(errorText(thrown(() => new Address(text)))).toMatch(message);
  });

  test("neither IPv4 nor IPv6 is an error", () => {
    expect(errorText(thrown(() => new Address("localhost:1", undefined, { requireV4: false, requireV6: false })))).toContain(
      'address "localhost:1" can use neither IPv4 nor IPv6',
    );
  });

  test("listen resolves through the system resolver", () => {
    const a = new Address("localhost:8080");
    expect(String(a.listen)).toBe("127.0.0.1:8080");
    expect(a.listen?.host).toBe("127.0.0.1");
    expect(a.listen?.port).toBe(8080);
    expect(String(a.connect)).toBe("localhost:8080");
    expect(String(new Address("127.0.0.1:8080").listen)).toBe("127.0.0.1:8080");
  });

  test("a family that is not configured may not be used", () => {
    expect(errorText(thrown(() => new Address("localhost:22").listenV6))).toContain('IPv6 is not configured for address "localhost:22"');
    expect(errorText(thrown(() => new Address("localhost:22", undefined, { requireV4: false, requireV6: true }).listen))).toContain(
      'IPv4 is not configured for address "localhost:22"',
    );
  });

  test("a name that does not resolve is an error naming it; optional gives null", () => {
    const a = new Address("does-not-exist.invalid:1234", undefined, { requireV6: true });
    expect(errorText(thrown(() => a.listen))).toMatch(/^cannot resolve "does-not-exist.invalid" to an IPv4 address: /);
    expect(errorText(thrown(() => a.listenV6))).toMatch(/^cannot resolve "does-not-exist.invalid" to an IPv6 address: /);
    const optional = new Address("does-not-exist.invalid:1234", undefined, { requireV4: "optional", requireV6: "optional" });
    expect(optional.listen).toBeNull();
    expect(optional.listenV6).toBeNull();
  });

  test("[resolver] pins win; an IPv6-only pin with IPv4 required is an error", () => {
    within({ resolver: { "v6only.invalid": ["::346"], "db.invalid": ["10.0.0.5", "fd00::5"] } }, () => {
      expect(errorText(thrown(() => new Address("v6only.invalid:1").listen))).toMatch(/cannot resolve "v6only.invalid" to an IPv4 address/);
      expect(new Address("v6only.invalid:1", undefined, { requireV4: false, requireV6: true }).listenV6?.host).toBe("::346");
      const db = new Address("db.invalid:5432", undefined, { requireV6: true });
      expect(String(db.listen)).toBe("10.0.0.5:5432");
      expect(String(db.listenV6)).toBe("[fd00::5]:5432");
    });
  });

  test("the context's require_v4/require_v6 are the defaults; options win", () => {
    within({ requireV4: "optional", requireV6: true }, () => {
      const a = new Address("localhost:1");
      expect(a.requireV4).toBe("optional");
      expect(a.requireV6).toBe(true);
      expect(new Address("localhost:1", undefined, { requireV6: false }).requireV6).toBe(false);
    });
    expect(new Address("localhost:1").requireV4).toBe(true);
  });

  test("on the deploying machine for remote hosts, names stay unresolved unless pinned", () => {
    within({ resolve: "on-hosts", resolver: { pinned: ["10.1.1.1"] } }, () => {
      expect(String(new Address("does-not-exist.invalid:80").listen)).toBe("does-not-exist.invalid:80");
      expect(String(new Address("pinned:80").listen)).toBe("10.1.1.1:80");
    });
  });

  test("link-local IPv6 addresses are skipped", () => {
    expect(usableAddresses(["fe80::1", "fe80::2"])).toEqual([]);
    expect(usableAddresses(["fe80::1", "2a02::1", "FEBF::3"])).toEqual(["2a02::1"]);
  });

  test("addresses sort by their connect string", () => {
    const sorted = ["localhost:8080", "127.122.122.133:8080", "127.0.0.5:8080", "127.10.1.5:8080"].map((a) => new Address(a)).map(String).sort();
    expect(sorted).toEqual(["127.0.0.5:8080", "127.10.1.5:8080", "127.122.122.133:8080", "localhost:8080"]);
  });
});

class Service extends Component {
  address = attribute(Address, { defaultText: "localhost:8080" });
  configure() {
    this.provide("service", this.address);
  }
}

class Client extends Component {
  seen: unknown[] = [];
  configure() {
    this.seen = this.require("service");
  }
}

describe("in the model", () => {
  test("an Address attribute: default text, an override, [resolver] and require_v6 from the environment", () => {
    const m = model({
      components: { service: Service, client: Client },
      hosts: { web: ["service", "client"] },
      overrides: { service: { address: "db.invalid:5432" } },
      resolver: { "db.invalid": ["10.0.0.5", "fd00::5"] },
      settings: { requireV6: true },
    });
    m.configure();
    const address = m.component<Service>("service").address;
    expect(address).toBeInstanceOf(Address);
    expect(String(address)).toBe("db.invalid:5432");
    expect(String(address.listen)).toBe("10.0.0.5:5432");
    expect(String(address.listenV6)).toBe("[fd00::5]:5432");
    expect(m.component<Service>("service").expand("{{ component.address }} {{ component.address.listen }}")).toBe("db.invalid:5432 10.0.0.5:5432");
    expect(m.component<Client>("client").seen.map(String)).toEqual(["db.invalid:5432"]);
  });

  test("an override without a port names the attribute, the value and the conversion", () => {
    const m = model({ components: { service: Service, client: Client }, hosts: { web: ["service", "client"] }, overrides: { service: { address: "localhost" } } });
    const text = errorText(thrown(() => m.configure()));
    expect(text).toMatch(/^cannot convert the value of "address": address "localhost" has no port\nfile: environments\/test.toml\nhost: web\ncomponent: Service\nattribute: address\nvalue: "localhost"\nconversion: Address/);
  });
});
