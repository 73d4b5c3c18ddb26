/**
 * Template fidelity: our own composite templates (own/), one-construct probes
 * (probes.ts) and, when it has been materialized, the public corpus of real
 * batou templates (corpus/manifest.json, tools/materialize-corpus.ts) render
 * byte-identically with ours (through `File`) and with Python Jinja2
 * configured as batou configures it. Where both fail, both must fail.
 * Deliberate differences are listed in differences.ts with their reason; the
 * test fails when one of them starts to agree (remove it then).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { type Case, corpusCases, ownCases, PYTHON, type Rendered, renderWithJinja2, renderWithOurs, withDefaults } from "./fidelity.ts";
import { crlfProbes, probeContext, probes } from "./probes.ts";
import { differences } from "./differences.ts";
import { DEFAULT_CORPUS_DIR, readManifest } from "./tools/materialize-corpus.ts";

const hasJinja2 = Bun.spawnSync([PYTHON, "-c", "import jinja2"]).exitCode === 0;
// In CI (.ci/run sets BATOU_REQUIRE_TESTBED=1; CI services set CI) a missing Jinja2 is a failure, not a skip.
const required = Boolean(process.env.CI) || process.env.BATOU_REQUIRE_TESTBED === "1";
if (!hasJinja2 && required) throw new Error("python3-jinja2 is missing: the template fidelity suite needs it (.ci/run installs it)");

// The public corpus is not in the repository (only its manifest): it runs where a developer has
// materialized it; CI cannot reach GitHub and runs own/ and the probes. Asked for by name, it must be there.
const corpusDir = process.env.BATOU_TEMPLATE_CORPUS ? resolve(process.env.BATOU_TEMPLATE_CORPUS) : DEFAULT_CORPUS_DIR;
const corpus = corpusCases(corpusDir);
if (!corpus && process.env.BATOU_TEMPLATE_CORPUS) throw new Error(`BATOU_TEMPLATE_CORPUS=${process.env.BATOU_TEMPLATE_CORPUS}: no such directory (materialize it with tests/templates/tools/materialize-corpus.ts)`);
const corpusSkipped = `public corpus skipped: not materialized in ${relative(process.cwd(), corpusDir) || corpusDir} (bun tests/templates/tools/materialize-corpus.ts CLONES, see tests/templates/corpus/README.md)`;

const probeDir = mkdtempSync(join(tmpdir(), "batou-probes-"));
afterAll(() => rmSync(probeDir, { recursive: true, force: true }));

function probeCases(): Case[] {
  return [...probes, ...crlfProbes].map((probe) => {
    const path = join(probeDir, probe.id);
    writeFileSync(path, probe.template);
    return { id: `probe/${probe.id}`, path, context: probe.context ?? probeContext };
  });
}

/** Renders every case both ways; ours first, since it tells the generated header. */
function renderAll(cases: Case[]): { id: string; ours: Rendered; theirs: Rendered }[] {
  const prepared = cases.map((c) => ({ ...c, context: withDefaults(c.context) }));
  const ours = new Map<string, Rendered>();
  for (const c of prepared) {
    const { rendered, header, root, workdirBase } = renderWithOurs(c);
    ours.set(c.id, rendered);
    c.context.batou_generated_header = header;
    if (c.context.component?.root) c.context.component.root = root;
    if (c.context.environment?.workdir_base) c.context.environment.workdir_base = workdirBase;
  }
  const theirs = renderWithJinja2(prepared);
  return prepared.map((c) => ({ id: c.id, ours: ours.get(c.id)!, theirs: theirs.get(c.id)! }));
}

const agree = (a: Rendered, b: Rendered) => ("output" in a && "output" in b ? a.output === b.output : "error" in a && "error" in b);

describe.skipIf(!hasJinja2)("templates render as batou's Jinja2 renders them", () => {
  const results = hasJinja2 ? renderAll([...(corpus ?? []), ...ownCases(), ...probeCases()]) : [];
  const count = (prefix: string) => results.filter((r) => r.id.startsWith(prefix)).length;

  test("our own templates and the probes are all there", () => {
    expect(count("own/")).toBeGreaterThanOrEqual(15);
    expect(count("probe/")).toBeGreaterThanOrEqual(100);
  });
  test("our own templates render in Jinja2 unless named error-*, and those fail there", () => {
    for (const r of results.filter((r) => r.id.startsWith("own/"))) expect([r.id, "error" in r.theirs]).toEqual([r.id, r.id.startsWith("own/error-")]);
  });
  if (corpus) test("the materialized corpus has every template of the manifest", () => expect(results.length - count("own/") - count("probe/")).toBe(readManifest().length));
  else test.skip(corpusSkipped, () => {});

  for (const result of results) {
    const reason = differences[result.id];
    test(reason ? `${result.id} (deliberately differs: ${reason})` : result.id, () => {
      if (reason) expect(agree(result.ours, result.theirs)).toBe(false);
      else if ("error" in result.theirs) {
        expect(result.ours).toHaveProperty("error");
        // An undefined name or attribute: ours names the same thing.
        const named = /UndefinedError: .*'([^']+)'/.exec(result.theirs.error)?.[1];
        if (named) expect((result.ours as { error: string }).error).toContain(`'${named}'`);
      }
      else expect(result.ours).toEqual(result.theirs);
    });
  }
});
