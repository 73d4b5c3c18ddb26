/**
 * `HTTPCheck` against an HTTP server on loopback: it waits for the answer
 * after the components before it updated, fails naming the URL and the last
 * answer, never counts as a change, and only reports under -P.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { appProject, cleanupProjects, deploy, scratchDir } from "./helpers.ts";

afterAll(cleanupProjects);
setDefaultTimeout(60_000);

describe("HTTPCheck (a loopback HTTP server)", () => {
  let server: ReturnType<typeof Bun.serve>;
  /** The server answers 200 "ok" once this file exists, 503 "starting" before. */
  let ready: string;
  let requests = 0;
  beforeAll(() => {
    ready = join(scratchDir(), "ready");
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(request) {
        requests++;
        const path = new URL(request.url).pathname;
        if (path === "/broken") return new Response("oops", { status: 500 });
        if (path === "/moved") return new Response(null, { status: 301, headers: { location: "/health" } });
        return existsSync(ready) ? new Response("ok") : new Response("starting", { status: 503 });
      },
    });
  });
  afterAll(() => server.stop(true));

  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;

  test("waits until the URL answers after the step before it ran (which starts the 'service' a second later); no change", async () => {
    const p = appProject(
      `this.add(new Command("(sleep 1; touch ${ready}) >/dev/null 2>&1 &", { unless: "test -f ${ready}" }));
    this.add(new HTTPCheck("${url("/health")}", { timeout: 20, interval: 0.2, contains: "ok" }));`,
      "Command, HTTPCheck",
    );
    const predicted = await deploy(p, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs).toContain(`would wait up to 20 s for ${url("/health")} to answer 200 with "ok" (now: HTTP 503)`);
    expect(existsSync(ready)).toBe(false);

    requests = 0;
    const first = await deploy(p);
    expect(first.errors).toEqual([]);
    expect(existsSync(ready)).toBe(true);
    // it asked before the service was up, and again until it was
    expect(requests).toBeGreaterThan(1);
    expect(first.changed.filter((c) => c.includes("HTTPCheck"))).toEqual([]);

    const second = await deploy(p);
    expect(second.errors).toEqual([]);
    expect(second.changed).toEqual([]);
  });

  test("a wrong answer within the timeout is an error naming the URL and the last answer; a password in the URL is masked", async () => {
    const broken = url("/broken").replace("http://", "http://monitor:hunter2-pass@");
    const p = appProject(`this.add(new HTTPCheck("${broken}", { timeout: 1, interval: 0.2 }));`, "HTTPCheck");
    const run = await deploy(p);
    expect(run.errors[0]?.message).toBe(`http://monitor:*****@127.0.0.1:${server.port}/broken did not answer 200 within 1 s`);
    expect(run.errors[0]?.context).toMatchObject({ component: `App > HTTPCheck('http://monitor:*****@127.0.0.1:${server.port}/broken')`, last: "HTTP 500" });
    expect(run.stdout + run.stderr).not.toContain("hunter2-pass");

    const moved = appProject(`this.add(new HTTPCheck("${url("/moved")}", { status: 301, timeout: 5 }));`, "HTTPCheck");
    expect((await deploy(moved)).errors).toEqual([]);

    // nothing listens on port 9 of loopback
    const refused = appProject(`this.add(new HTTPCheck("http://127.0.0.1:9/", { timeout: 1 }));`, "HTTPCheck");
    const down = await deploy(refused);
    expect(down.errors[0]?.message).toBe("http://127.0.0.1:9/ did not answer 200 within 1 s");
    expect(String(down.errors[0]?.context.last)).toMatch(/connect|refused/i);
    const predicted = await deploy(refused, { predict: true });
    expect(predicted.errors).toEqual([]);
    expect(predicted.logs.some((line) => line.startsWith("would wait up to 1 s for http://127.0.0.1:9/ to answer 200 (now: "))).toBe(true);
  });
});
