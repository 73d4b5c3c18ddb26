import { Component, ConfigurationError, DeploymentError } from "../batou-core.ts";
import { hidePassword } from "./url-password.ts";

/**
 * `HTTPCheck`: the URL answers as expected (a status, optionally a text in the
 * body) within a timeout, asked from the host. It checks in `verify()`, so
 * placed after the components that start or reload a service, it runs once
 * they have updated, and the deploy waits for the service (trying every
 * `interval` seconds) or fails naming the URL and the last answer. It never
 * changes anything, so it never counts as a change. Under `-P` it asks once
 * and only reports what it would wait for. Redirects are not followed: a 301
 * is the answer. A password in the URL is shown as `*****`.
 *
 * @example
 * ```ts
 * this.add(new Service("app", { command: "bin/app" }));
 * this.add(new HTTPCheck("http://127.0.0.1:8080/health", { status: 200, timeout: 30, contains: "ok" }));
 * ```
 */
export class HTTPCheck extends Component {
  static override namevar = "url";
  /** The URL to request. */
  url = "";
  /** The expected status (default 200). */
  status = 200;
  /** Seconds to wait for the expected answer (default 30). */
  timeout = 30;
  /** A text the body must contain. */
  contains: string | undefined = undefined;
  /** Seconds between tries (default 0.5). */
  interval = 0.5;
  /** Request headers (e.g. `Host`). */
  headers: Record<string, string> = {};
  /** Accept a certificate that does not verify (a self-signed one). */
  insecure = false;

  constructor(url: string, options: HTTPCheckOptions = {}) {
    super(url, options);
  }

  /** The URL with a password replaced by `*****`, for messages. */
  get safeUrl(): string {
    return hidePassword(this.url);
  }

  override get breadcrumb(): string {
    return `HTTPCheck('${this.safeUrl}')`;
  }

  override configure(): void {
    let url: URL;
    try {
      url = new URL(this.url);
    } catch {
      throw new ConfigurationError(`not a URL: ${this.safeUrl}`, { component: this.breadcrumbs, expected: "http://... or https://..." });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConfigurationError(`HTTPCheck supports http and https only, not ${url.protocol}`, { component: this.breadcrumbs });
    }
    if (!Number.isInteger(this.status) || this.status < 100 || this.status > 599) {
      throw new ConfigurationError("status is not an HTTP status", { component: this.breadcrumbs, attribute: "status", expected: "100 to 599", given: String(this.status) });
    }
    for (const attribute of ["timeout", "interval"] as const) {
      if (typeof this[attribute] !== "number" || !(this[attribute] > 0)) {
        throw new ConfigurationError(`${attribute} is not a positive number of seconds`, { component: this.breadcrumbs, attribute });
      }
    }
  }

  /** What the URL answers now: undefined when as expected, else what it answered. */
  async ask(requestTimeout: number): Promise<string | undefined> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        headers: this.headers,
        redirect: "manual",
        signal: AbortSignal.timeout(requestTimeout * 1000),
        tls: this.insecure ? { rejectUnauthorized: false } : undefined,
      } as RequestInit);
    } catch (error) {
      const text = (error as Error).name === "TimeoutError" ? `no answer within ${requestTimeout} s` : (error as Error).message;
      return text.replaceAll(this.url, this.safeUrl);
    }
    const body = this.contains === undefined ? (await response.body?.cancel(), "") : await response.text();
    if (response.status !== this.status) return `HTTP ${response.status}`;
    if (this.contains !== undefined && !body.includes(this.contains)) return `HTTP ${response.status} without "${this.contains}" in the body`;
    return undefined;
  }

  private get expectation(): string {
    return `${this.status}${this.contains === undefined ? "" : ` with "${this.contains}"`}`;
  }

  override async verify(predicting = false): Promise<void> {
    if (predicting || this.predicting) {
      const answer = await this.ask(Math.min(this.timeout, 2));
      if (answer !== undefined) this.log(`would wait up to ${this.timeout} s for ${this.safeUrl} to answer ${this.expectation} (now: ${answer})`);
      return;
    }
    const deadline = Date.now() + this.timeout * 1000;
    let answer: string | undefined;
    for (;;) {
      const left = (deadline - Date.now()) / 1000;
      answer = await this.ask(Math.max(Math.min(left, 10), 0.1));
      if (answer === undefined) return;
      if (Date.now() + this.interval * 1000 >= deadline) break;
      await Bun.sleep(this.interval * 1000);
    }
    throw new DeploymentError(`${this.safeUrl} did not answer ${this.expectation} within ${this.timeout} s`, {
      component: this.breadcrumbs,
      url: this.safeUrl,
      last: answer,
    });
  }
}

/** The options of {@link HTTPCheck}. */
export type HTTPCheckOptions = Partial<Pick<HTTPCheck, "status" | "timeout" | "contains" | "interval" | "headers" | "insecure">>;
