/**
 * The SVG of `batou graph` opened in a real browser (Debian's headless
 * Chromium through playwright-core): it renders at the size it declares, is
 * not blank, draws every host and component, and shows a cycle in red (the
 * example project has no red). The network is closed here: the browser
 * starts with everything that phones home turned off and a fresh profile.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode } from "fast-png";
import { type BrowserContext, chromium } from "playwright-core";
import { COLORS } from "../../lib/graph/dot.ts";
import { REPO, RUNNERS, runBatou, tempProject } from "../helpers/project.ts";
import { cycle, multiHost } from "./fixtures.ts";

const CHROMIUM = "/usr/bin/chromium";
/** CI installs chromium (.ci/run sets BATOU_REQUIRE_TESTBED=1; CI services set CI): there a missing one fails the tests; elsewhere they are skipped without it. */
const ready = existsSync(CHROMIUM) || Boolean(process.env.CI) || process.env.BATOU_REQUIRE_TESTBED === "1";

let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  if (!ready) return;
  profile = mkdtempSync(join(tmpdir(), "batou-graph-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

interface Rendered {
  /** The size the SVG declares, in CSS pixels (Graphviz writes points: 1pt = 4/3 px). */
  declared: { width: number; height: number };
  png: ReturnType<typeof decode>;
  /** What the browser laid out: drawn groups by class. */
  drawn: { clusters: string[]; nodes: string[] };
}

/** Renders `svg` in a page and screenshots its <svg> element. */
async function render(svg: string): Promise<Rendered> {
  const page = await browser.newPage();
  try {
    await page.setContent(svg, { waitUntil: "load", timeout: 30_000 });
    const element = page.locator("svg");
    const declared = await element.evaluate((node) => {
      const points = (value: string | null) => (Number.parseFloat(value ?? "0") * 4) / 3;
      return { width: points(node.getAttribute("width")), height: points(node.getAttribute("height")) };
    });
    const drawn = await element.evaluate((node) => {
      const titles = (kind: string) => [...node.querySelectorAll(`g.${kind} > title`)].map((title) => title.textContent ?? "");
      return { clusters: titles("cluster"), nodes: titles("node") };
    });
    const png = decode(await element.screenshot({ timeout: 30_000 }));
    return { declared, png, drawn };
  } finally {
    await page.close();
  }
}

/** Fractions of pixels that are not white, and that are the picture's error red. */
function pixels(png: Rendered["png"]) {
  const channels = png.channels;
  const [r0, g0, b0] = [1, 3, 5].map((i) => Number.parseInt(COLORS.error.slice(i, i + 2), 16));
  let inked = 0;
  let red = 0;
  const total = png.width * png.height;
  for (let i = 0; i < total; i++) {
    const [r, g, b] = [png.data[i * channels]!, png.data[i * channels + 1]!, png.data[i * channels + 2]!];
    if (r < 240 || g < 240 || b < 240) inked++;
    if (Math.abs(r - r0!) < 24 && Math.abs(g - g0!) < 24 && Math.abs(b - b0!) < 24) red++;
  }
  return { inked: inked / total, red: red / total };
}

const source = RUNNERS[0]!;

describe.skipIf(!ready)("the SVG in headless Chromium", () => {
  test("the example project renders at its declared size, not blank, every component drawn, nothing red", async () => {
    const result = runBatou(source, ["graph", "local"], REPO);
    expect(result.code).toBe(0);
    const { declared, png, drawn } = await render(result.stdout);
    expect(Math.abs(png.width - declared.width)).toBeLessThanOrEqual(1);
    expect(Math.abs(png.height - declared.height)).toBeLessThanOrEqual(1);
    expect(png.width).toBeGreaterThan(100);
    expect(drawn.clusters).toEqual(["cluster_localhost"]);
    expect(drawn.nodes.sort()).toEqual(["localhost/services", "localhost/statussite"]);
    const { inked, red } = pixels(png);
    expect(inked).toBeGreaterThan(0.01);
    expect(inked).toBeLessThan(0.5);
    expect(red).toBe(0);
  }, 60_000);

  test("the multi-host fixture draws every host and component", async () => {
    using project = tempProject(multiHost);
    const result = runBatou(source, ["graph", "prod"], project.dir);
    const { drawn, png } = await render(result.stdout);
    expect(drawn.clusters.sort()).toEqual(["cluster_backup", "cluster_db1", "cluster_web1", "cluster_web2"]);
    expect(drawn.nodes).toHaveLength(6);
    expect(pixels(png).inked).toBeGreaterThan(0.01);
  }, 60_000);

  test("a cycle shows in red", async () => {
    using project = tempProject(cycle);
    const result = runBatou(source, ["graph", "loop"], project.dir);
    expect(result.code).toBe(1);
    const { png } = await render(result.stdout);
    expect(pixels(png).red).toBeGreaterThan(0.002);
  }, 60_000);
});
