/**
 * The deploy scheduler against a recording fake connection (the scheduler's
 * only dependency: a real connection would make the timing of the roots
 * uncontrollable). Each deploy call waits until the test finishes it, so how
 * many run at once is observed, not inferred from durations.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Component } from "../../lib/batou.ts";
import type { DeployRequest, HostConnection } from "../../lib/engine/connection.ts";
import type { DeployEvent, EventSink } from "../../lib/engine/events.ts";
import type { Host } from "../../lib/engine/host.ts";
import { scheduleRoots } from "../../lib/engine/scheduler.ts";
import { Tally } from "../../lib/engine/tally.ts";
import { cleanupModels, type Model, model } from "../helpers/model.ts";
import { waitFor } from "../helpers/wait.ts";

afterEach(cleanupModels);

class Plain extends Component {}
class Provider extends Component {
  override configure() {
    this.provide("db", this.host.name);
  }
}
class Consumer extends Component {
  override configure() {
    this.require("db");
  }
}

/** Lets every pending promise callback run (the scheduler reacts to a finished root in a few ticks). */
const settle = () => Bun.sleep(0);

/** One deploy call in flight: the test ends it with `finish` or `fail`. */
interface Call {
  host: string;
  root: string;
  emit: EventSink;
  finish(changed?: number): void;
  fail(error: Error): void;
}

/** Records every deploy call across hosts and how many ran at once. */
class Recorder {
  readonly calls: Call[] = [];
  running = 0;
  maxRunning = 0;
  readonly connections = new Map<string, HostConnection>();

  /** Connections to the hosts a run deploys: not ignored, and not in `excluded` (as --exclude-hosts). */
  constructor(m: Model, excluded: string[] = []) {
    for (const host of m.environment.hosts.values()) if (!host.ignore && !excluded.includes(host.name)) this.connections.set(host.name, this.connection(host));
  }

  private connection(host: Host): HostConnection {
    return {
      host,
      open: async () => {},
      record: async () => {},
      close: async () => {},
      deploy: (request: DeployRequest, emit: EventSink) => {
        const { promise, resolve, reject } = Promise.withResolvers<number>();
        this.running++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        this.calls.push({ host: host.name, root: request.root, emit, finish: (changed = 0) => resolve(changed), fail: reject });
        return promise.finally(() => this.running--);
      },
    };
  }

  call(root: string): Call {
    const call = this.calls.find((c) => c.root === root);
    if (!call) throw new Error(`${root} was not started`);
    return call;
  }

  started = () => this.calls.map((c) => c.root);

  /** Waits until `count` roots have started and checks that no other one starts meanwhile; their names. */
  async startedExactly(count: number): Promise<string[]> {
    await waitFor(() => this.calls.length >= count, 5, `${count} root(s) to start`);
    await settle();
    expect(this.calls).toHaveLength(count);
    return this.started();
  }
}

function schedule(m: Model, recorder: Recorder, jobs: number, events: DeployEvent[] = []) {
  const { order, dependencies } = m.configure();
  return scheduleRoots(order, dependencies, recorder.connections, { jobs, predicting: false, emit: (e) => events.push(e) });
}


describe("scheduleRoots", () => {
  test("runs at most `jobs` roots at once, across hosts, and starts the next when one finishes", async () => {
    const m = model({ components: { a: Plain, b: Plain, c: Plain }, hosts: { h1: ["a", "b"], h2: ["c"] } });
    const recorder = new Recorder(m);
    const done = schedule(m, recorder, 2);
    expect(await recorder.startedExactly(2)).toEqual(["a", "b"]);
    expect(recorder.running).toBe(2);
    recorder.call("a").finish();
    await recorder.startedExactly(3);
    expect(recorder.running).toBe(2);
    recorder.call("b").finish();
    recorder.call("c").finish();
    expect(await done).toEqual({});
    expect(recorder.maxRunning).toBe(2);
  });

  test("jobs = 1 runs one root at a time", async () => {
    const m = model({ components: { a: Plain, b: Plain }, hosts: { h1: ["a"], h2: ["b"] } });
    const recorder = new Recorder(m);
    const done = schedule(m, recorder, 1);
    await recorder.startedExactly(1);
    recorder.calls[0]!.finish();
    await recorder.startedExactly(2);
    recorder.calls[1]!.finish();
    await done;
    expect(recorder.maxRunning).toBe(1);
  });

  test("a root waits for the roots it requires from, whatever jobs allows", async () => {
    const m = model({ components: { db: Provider, app: Consumer }, hosts: { h1: ["app"], h2: ["db"] } });
    const recorder = new Recorder(m);
    const done = schedule(m, recorder, 4);
    expect(await recorder.startedExactly(1)).toEqual(["db"]);
    recorder.call("db").finish();
    expect(await recorder.startedExactly(2)).toEqual(["db", "app"]);
    recorder.call("app").finish();
    await done;
  });

  test("ignored hosts, excluded hosts and !components are skipped, never deployed, and their dependents still run", async () => {
    const m = model({
      components: { db: Provider, app: Consumer, extra: Plain },
      hosts: { h1: ["app", "!extra"], h2: { components: ["db"], ignore: true }, h3: ["extra"] },
    });
    const recorder = new Recorder(m, ["h3"]);
    const events: DeployEvent[] = [];
    const done = schedule(m, recorder, 1, events);
    await waitFor(() => recorder.calls.length === 1, 5, "the consumer");
    recorder.call("app").finish(2);
    await done;
    expect(recorder.started()).toEqual(["app"]);
    const roots = events.filter((e) => e.event === "root").map((e) => `${e.host}/${e.root}:${e.status}`);
    expect(roots).toContain("h2/db:skip-host");
    expect(roots).toContain("h1/extra:skip-component");
    expect(roots).toContain("h3/extra:skip-excluded");
    expect(roots.indexOf("h2/db:skip-host")).toBeLessThan(roots.indexOf("h1/app:start"));
    expect(events.find((e) => e.event === "root" && e.status === "done")).toMatchObject({ root: "app", changed: 2 });
  });

  test("the first failure stops new work; roots already running finish; the error is the first", async () => {
    const m = model({ components: { a: Plain, b: Plain, c: Plain, d: Plain }, hosts: { h1: ["a", "b", "c", "d"] } });
    const recorder = new Recorder(m);
    const events: DeployEvent[] = [];
    const done = schedule(m, recorder, 2, events);
    await waitFor(() => recorder.running === 2, 5, "two roots");
    recorder.call("a").fail(new Error("a broke"));
    await settle();
    recorder.call("b").fail(new Error("b broke too"));
    const result = await done;
    expect((result.error as Error).message).toBe("a broke");
    expect(result.failedRoot?.name).toBe("a");
    expect(recorder.started()).toEqual(["a", "b"]);
  });

  test("a root running beside a failure still reports itself done", async () => {
    const m = model({ components: { a: Plain, b: Plain, c: Plain }, hosts: { h1: ["a", "b", "c"] } });
    const recorder = new Recorder(m);
    const events: DeployEvent[] = [];
    const done = schedule(m, recorder, 2, events);
    await waitFor(() => recorder.running === 2, 5, "two roots");
    recorder.call("a").fail(new Error("a broke"));
    await settle();
    recorder.call("b").finish(1);
    await done;
    expect(events.filter((e) => e.event === "root" && e.status === "done").map((e) => (e as { root: string }).root)).toEqual(["b"]);
    expect(recorder.started()).not.toContain("c");
  });

  test("the tally counts changes from the component events, also those of a root that failed after them", async () => {
    const m = model({ components: { a: Plain, b: Plain }, hosts: { h1: ["a"], h2: ["b"] } });
    const recorder = new Recorder(m);
    const tally = new Tally();
    const { order, dependencies } = m.configure();
    const done = scheduleRoots(order, dependencies, recorder.connections, { jobs: 1, predicting: false, emit: (e) => tally.count(e) });
    await waitFor(() => recorder.calls.length === 1, 5, "the first root");
    const first = recorder.call("a");
    first.emit({ event: "component", host: "h1", component: "A > File('x')", root: "a", changed: true, updated: true });
    first.emit({ event: "component", host: "h1", component: "A > File('y')", root: "a", changed: false, updated: false });
    first.fail(new Error("update() failed after writing x"));
    await done;
    expect(tally).toMatchObject({ components: 2, changed: 1 });
    expect(tally.changedHosts).toEqual(["h1"]);
    expect(tally.changes.get("h1")).toEqual(["A > File('x')"]);
  });
});
