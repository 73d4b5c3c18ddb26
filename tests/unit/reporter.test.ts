/** What the reporter prints for deploy events (text mode), from synthetic events. */
import { describe, expect, test } from "bun:test";
import type { DeployEvent } from "../../lib/engine/events.ts";
import { LiveStatus } from "../../lib/engine/live-status.ts";
import { Reporter } from "../../lib/engine/reporter.ts";
import { waitFor } from "../helpers/wait.ts";

/** A text reporter whose lines are collected (stdout and stderr apart). */
function textReporter(options: { debug?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const reporter = new Reporter({ json: false, debug: options.debug ?? false, color: false, out: (l) => out.push(l), err: (l) => err.push(l), terminal: null });
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

describe("progress lines", () => {
  const ssh: DeployEvent[] = [
    { event: "host", host: "web1", status: "connecting", detail: "web1.example.com" },
    { event: "host", host: "web1", status: "connected", seconds: 0.21, detail: "0.21 s, deploy@10.0.0.1" },
    { event: "progress", host: "web1", what: "batou", bytes: 0, total: 53_000_000 },
    { event: "progress", host: "web1", what: "batou", bytes: 26_500_000, total: 53_000_000 },
    { event: "host", host: "web1", status: "shipped-executable", seconds: 2, bytes: 53_000_000 },
    { event: "progress", host: "web1", what: "project", bytes: 0 },
    { event: "host", host: "web1", status: "shipped", seconds: 0.3, bytes: 45_200, files: 12 },
    { event: "host", host: "web1", status: "configured", seconds: 0.52 },
    { event: "root", host: "web1", root: "app", status: "start" },
    { event: "root", host: "web1", root: "app", status: "done", changed: 2, seconds: 1.234 },
    { event: "root", host: "web1", root: "db", status: "start" },
    { event: "root", host: "web1", root: "db", status: "done", changed: 0, seconds: 0.01 },
  ];

  test("without a terminal: connected, shipping and shipped with bytes and rate, configured, each root as it starts and is done", () => {
    const { reporter, out } = textReporter();
    for (const event of ssh) reporter.emit(event);
    expect(out).toEqual([
      "web1: connected in 0.21s",
      "web1: shipping batou (53.0 MB)",
      "web1: batou shipped in 2.00s (53.0 MB sent)",
      "web1: shipping project",
      "web1: project shipped in 0.30s (12 file(s) changed, 45.2 kB sent)",
      "web1: configured in 0.52s",
      "web1: deploying app",
      "web1: app done in 1.23s (2 changed)",
      "web1: deploying db",
      "web1: db done in 0.01s (nothing changed)",
    ]);
  });

  test("on a terminal what only begins is left to the live line; an up-to-date project and a local host print nothing", () => {
    const out: string[] = [];
    const reporter = new Reporter({ json: false, debug: false, color: false, out: (l) => out.push(l), err: () => {}, terminal: { write: () => {}, columns: () => 80 } });
    for (const event of ssh) reporter.emit(event);
    reporter.emit({ event: "host", host: "web2", status: "shipped", seconds: 0.01, bytes: 0, files: 0 });
    reporter.emit({ event: "host", host: "localhost", status: "connected", detail: "local" });
    reporter.emit({ event: "summary", ok: true, changed: 2, hosts: 1, components: 5, seconds: 4, mode: "Deployment", phases: {} });
    expect(out.slice(0, -1)).toEqual([
      "web1: connected in 0.21s",
      "web1: batou shipped in 2.00s (53.0 MB sent)",
      "web1: project shipped in 0.30s (12 file(s) changed, 45.2 kB sent)",
      "web1: configured in 0.52s",
      "web1: app done in 1.23s (2 changed)",
      "web1: db done in 0.01s (nothing changed)",
    ]);
  });

  test("--json writes the host and root events, never the progress ticks", () => {
    const out: string[] = [];
    const reporter = new Reporter({ json: true, debug: false, out: (l) => out.push(l), err: () => {}, terminal: { write: () => {}, columns: () => 80 } });
    for (const event of ssh) reporter.emit(event);
    const events = out.map((line) => JSON.parse(line).event);
    expect(events).not.toContain("progress");
    expect(events.filter((e) => e === "host")).toHaveLength(5);
  });
});

describe("the live status line", () => {
  test("shows what each host does now: a transfer with its rate, the roots running with their time; idle hosts are left out", () => {
    const status = new LiveStatus(0);
    status.observe({ event: "host", host: "web1", status: "connecting" }, 0);
    status.observe({ event: "host", host: "web2", status: "connecting" }, 0);
    expect(status.render(200, 100)).toBe("⠋ 0.1s  web1: connecting · web2: connecting");
    status.observe({ event: "host", host: "web1", status: "connected", seconds: 0.2 }, 200);
    status.observe({ event: "host", host: "local", status: "connected", detail: "local" }, 200);
    expect(status.render(200, 300)).toBe("⠙ 0.3s  web1: preparing batou · web2: connecting");
    status.observe({ event: "progress", host: "web1", what: "batou", bytes: 0, total: 53_000_000 }, 1000);
    status.observe({ event: "progress", host: "web1", what: "batou", bytes: 8_000_000, total: 53_000_000 }, 3000);
    status.observe({ event: "host", host: "web2", status: "configured", seconds: 1 }, 3000);
    expect(status.render(200, 3000)).toBe("⠹ 3.0s  web1: shipping batou 8.0 MB of 53.0 MB, 4.0 MB/s");
    status.observe({ event: "host", host: "web1", status: "shipped-executable", seconds: 2 }, 3500);
    status.observe({ event: "root", host: "web2", root: "db", status: "start" }, 3500);
    status.observe({ event: "root", host: "web2", root: "cache", status: "start" }, 4000);
    expect(status.render(200, 5000)).toBe("⠸ 5.0s  web1: starting batou · web2: db 1.5s, cache 1.0s");
    expect(status.render(30, 5000)).toBe("⠼ 5.0s  web1: starting batou…");
    status.observe({ event: "host", host: "web1", status: "configured", seconds: 1 }, 5000);
    status.observe({ event: "root", host: "web2", root: "db", status: "done", changed: 0, seconds: 1.5 }, 5000);
    status.observe({ event: "root", host: "web2", root: "cache", status: "done", changed: 0, seconds: 1 }, 5000);
    expect(status.render(200, 5100)).toBe("");
  });

  test("is drawn below the lines while work is in flight, hidden while a line is printed, and removed before the summary", async () => {
    const screen: string[] = [];
    const out: string[] = [];
    const reporter = new Reporter({ json: false, debug: false, color: false, out: (l) => out.push(`${l}\n`), err: () => {}, terminal: { write: (t) => void screen.push(t), columns: () => 80 } });
    reporter.emit({ event: "root", host: "web1", root: "app", status: "start" });
    await waitFor(() => screen.some((t) => t.includes("web1: app")), 5, "the live line");
    expect(screen[0]).toStartWith("\r\x1b[2K⠋ ");
    reporter.emit({ event: "warning", host: "web1", message: "slow disk" });
    expect(screen.at(-1)).toBe("\r\x1b[2K"); // hidden before the warning was printed
    reporter.emit({ event: "summary", ok: true, changed: 0, hosts: 1, components: 1, seconds: 1, mode: "Deployment", phases: {} });
    const drawn = screen.length;
    await Bun.sleep(400); // a negative check needs a window (the line redraws every 150 ms)
    expect(screen.length).toBe(drawn); // never drawn again
  });
});

describe("text from files and hosts", () => {
  // Escape sequences in a diff, a log line, a warning or a name could retitle the window,
  // clear the screen or hide lines; the error printer escapes them, so does every other line.
  const hostile = "\u001b]0;owned\u0007\u001b[2J\u202e";
  const escaped = "\\x1b]0;owned\\x07\\x1b[2J\\u{202e}";

  test("diff lines, log messages, warnings, notes and names are printed with control characters escaped", () => {
    const { reporter, out, err } = textReporter();
    reporter.emit({ event: "diff", host: "web1", component: `App > File('${hostile}')`, path: `conf${hostile}`, note: `note${hostile}`, diff: `+line${hostile}\n-old\tline` });
    reporter.emit({ event: "log", host: "web1", component: "App", message: `output${hostile}` });
    reporter.emit({ event: "warning", host: "web1", message: `careful${hostile}` });
    reporter.emit({ event: "root", host: "web1", root: `app${hostile}`, status: "start" });
    const printed = [...out, ...err];
    expect(printed.join("\n")).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(out).toContain(`web1: App > File('${escaped}')`);
    expect(out).toContain(`    +line${escaped}`);
    expect(out).toContain("    -old\tline"); // tabs stay
    expect(out).toContain(`    conf${escaped}: note${escaped}`);
    expect(out.some((l) => l.startsWith("web1: output") && l.includes(escaped))).toBe(true);
    expect(err).toContain(`WARN: web1: careful${escaped}`);
  });

  test("a message of several lines stays several lines, each escaped", () => {
    const { reporter, out } = textReporter();
    reporter.emit({ event: "log", host: "web1", component: "", message: "first\u001b[1m\nsecond" });
    expect(out).toEqual(["web1: first\\x1b[1m\nsecond"]);
  });

  test("a secret holding a control character is still masked, not shown escaped", () => {
    const { reporter, out } = textReporter();
    reporter.hideSecrets(["pass\rword-1234"]);
    reporter.emit({ event: "diff", host: "web1", component: "App", path: "conf", diff: "+password = pass\rword-1234" });
    expect(out).toContain("    +password = <secret>");
  });
});
