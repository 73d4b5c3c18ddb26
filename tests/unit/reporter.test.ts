/** What the reporter prints for deploy events (text mode), from synthetic events. */
import { describe, expect, test } from "bun:test";
import type { DeployEvent } from "../../lib/engine/events.ts";
import { Reporter } from "../../lib/engine/reporter.ts";

/** A text reporter whose lines are collected (stdout and stderr apart). */
function textReporter(options: { debug?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const reporter = new Reporter({ json: false, debug: options.debug ?? false, color: false, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { reporter, out, err };
}

const component = (name: string, seconds: number, updated = false): DeployEvent => ({
  event: "component",
  host: "web1",
  root: "app",
  component: name,
  changed: updated,
  updated,
  seconds,
});

describe("slow components", () => {
  test("a component whose own work took a second or more is named with its time, once, not in every ancestor", () => {
    const { reporter, out } = textReporter();
    for (const event of [
      component("App > Download('big.tar')", 3.2, true),
      component("App > Extract('big.tar')", 0.4, true),
      component("App > File('conf')", 0.01),
      component("App", 3.7),
    ]) {
      reporter.emit(event);
    }
    expect(out.filter((l) => l.includes("took"))).toEqual(["web1: App > Download('big.tar') took 3.20s"]);
  });

  test("a component slow by itself is named beside its slow sub-component", () => {
    const { reporter, out } = textReporter();
    reporter.emit(component("App > Command('migrate')", 2.5));
    reporter.emit(component("App", 4.0)); // 1.5 s of its own
    reporter.emit(component("Other", 0.2));
    expect(out.filter((l) => l.includes("took"))).toEqual(["web1: App > Command('migrate') took 2.50s", "web1: App took 4.00s"]);
  });

  test("fast components and events without a time print nothing extra", () => {
    const { reporter, out } = textReporter();
    reporter.emit(component("App > File('a')", 0.2));
    reporter.emit({ event: "component", host: "web1", root: "app", component: "App", changed: false });
    expect(out).toEqual([]);
  });
});

describe("debug lines", () => {
  test("are events: printed to stderr under --debug, dropped otherwise", () => {
    const quiet = textReporter();
    quiet.reporter.debug("configured 3 root(s)");
    expect([...quiet.out, ...quiet.err]).toEqual([]);
    const loud = textReporter({ debug: true });
    loud.reporter.emit({ event: "debug", message: "configured 3 root(s)" });
    expect(loud.err).toEqual(["debug: configured 3 root(s)"]);
  });
});
