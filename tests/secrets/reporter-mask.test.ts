/** The reporter masks secret values in everything it phrases, but not in `this.log()` messages. */
import { describe, expect, test } from "bun:test";
import { CommandError, ConfigurationError, DeploymentError } from "../../lib/engine/errors.ts";
import { Reporter, SECRET_MASK } from "../../lib/engine/reporter.ts";

function capture(json: boolean, debug = false) {
  const lines: string[] = [];
  const reporter = new Reporter({ json, debug, color: false, out: (l) => lines.push(`out ${l}`), err: (l) => lines.push(`err ${l}`) });
  reporter.hideSecrets(['pa"ss\\word', "hunter22", "abc"]);
  return { reporter, text: () => lines.join("\n") };
}

describe("Reporter.hideSecrets", () => {
  for (const json of [false, true]) {
    test(`errors, command output and stack traces are masked (${json ? "--json" : "text"})`, () => {
      const { reporter, text } = capture(json, true);
      const command = new CommandError("login -p hunter22", 1, "token hunter22\n", 'bad pa"ss\\word\n');
      reporter.error(new DeploymentError(command.message, { ...command.context, stdout: command.stdout, host: "h", component: "App" }));
      reporter.error(new Error("unexpected hunter22"));
      reporter.emit({ event: "warning", message: "saw hunter22" });
      reporter.emit({ event: "component", host: "h", component: "App > Thing('hunter22')", root: "app", changed: true });
      reporter.debug("debugging hunter22");
      const out = text();
      expect(out).not.toContain("hunter22");
      expect(out).not.toContain("pa\"ss");
      expect(out).not.toContain('pa\\"ss'); // nor its JSON-escaped form
      expect(out).toContain(SECRET_MASK);
      if (json) for (const line of out.split("\n").filter((l) => l.startsWith("out {"))) JSON.parse(line.slice(4));
    });

    test(`this.log() messages are printed as given (${json ? "--json" : "text"})`, () => {
      const { reporter, text } = capture(json);
      reporter.emit({ event: "log", host: "h", component: "App", message: "the password is hunter22" });
      expect(text()).toContain("hunter22");
    });
  }

  test("values shorter than 4 characters are not masked", () => {
    const { reporter, text } = capture(false);
    reporter.emit({ event: "warning", message: "abc and hunter22" });
    expect(text()).toBe(`err WARN: abc and ${SECRET_MASK}`);
  });

  test("--json stays valid when a secret is a number; a JSON number equal to a secret is masked", () => {
    const lines: string[] = [];
    const reporter = new Reporter({ json: true, debug: false, out: (l) => lines.push(l), err: (l) => lines.push(l) });
    reporter.hideSecrets(["1604", "48213579"]);
    reporter.emit({ event: "root", host: "h", root: "app", status: "done", changed: 2, seconds: 0.00160473 });
    reporter.error(new ConfigurationError("override of the wrong type", { component: "App", pin: 48213579 }));
    reporter.emit({ event: "warning", message: "pin 48213579 and 1604" });
    const events = lines.map((line) => JSON.parse(line));
    expect(events[0].seconds).toBe(0.00160473);
    expect(events[1].context.pin).toBe(SECRET_MASK);
    expect(events[2].message).toBe(`pin ${SECRET_MASK} and ${SECRET_MASK}`);
    expect(lines.join("\n")).not.toContain("48213579");
  });

  test("without secrets nothing is masked", () => {
    const lines: string[] = [];
    const reporter = new Reporter({ json: true, debug: false, out: (l) => lines.push(l) });
    reporter.emit({ event: "warning", message: "hunter22" });
    expect(lines).toEqual(['{"event":"warning","message":"hunter22"}']);
  });
});
