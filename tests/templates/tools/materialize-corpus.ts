/**
 * Materializes the public template corpus: the project keeps only a manifest
 * (`tests/templates/corpus/manifest.json`: per template its source
 * repository and path, the pinned commit and our context), never the
 * templates themselves. This tool reads each one out of a local git clone with
 * `git show COMMIT:path` into an ignored directory (`tests/templates/.corpus/`
 * by default), where the fidelity suite finds it.
 *
 *   bun tests/templates/tools/materialize-corpus.ts CLONES [OUT]
 *
 * CLONES holds one clone per repository, as `OWNER+NAME` or `OWNER/NAME`
 * (a work tree with `.git`, a bare repository, or either inside `repo/`).
 * Every template must be found, or nothing is written and the error names
 * each missing repository, commit or path.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** One template of the corpus, as the manifest lists it. */
export interface CorpusEntry {
  /** Where the template lands below the output directory, e.g. `batou/resources-crontab`. */
  id: string;
  /** `OWNER/NAME:PATH` on GitHub. */
  source: string;
  /** The commit the template is read from (40 hex digits). */
  commit: string;
  /** The context it renders with (see ../fidelity.ts). */
  context: Record<string, unknown>;
}

export const MANIFEST = join(import.meta.dir, "..", "corpus", "manifest.json");
export const DEFAULT_CORPUS_DIR = join(import.meta.dir, "..", ".corpus");

/** Marks a directory this tool wrote, so that only such a one is ever replaced. */
export const MARKER = ".materialized-corpus";
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const COMMIT = /^[0-9a-f]{40}$/;

/** A relative path of plain segments: it can name neither an option nor anything outside its root. */
function isPlainRelativePath(path: string): boolean {
  return path !== "" && !path.startsWith("-") && path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/** Splits `OWNER/NAME:PATH`; undefined when it is not of that form. */
export function parseSource(source: string): { owner: string; name: string; path: string } | undefined {
  const match = /^([^/:]+)\/([^/:]+):(.+)$/.exec(source);
  if (!match) return undefined;
  const [, owner, name, path] = match as unknown as [string, string, string, string];
  if (!NAME.test(owner) || !NAME.test(name) || !isPlainRelativePath(path)) return undefined;
  return { owner, name, path };
}

/** Reads and checks the manifest; the error names every bad entry. */
export function readManifest(file: string = MANIFEST): CorpusEntry[] {
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { templates?: unknown };
  if (!Array.isArray(parsed.templates)) throw new Error(`${file}: expected {"templates": [...]}`);
  const problems: string[] = [];
  const seen = new Set<string>();
  parsed.templates.forEach((raw, index) => {
    const entry = raw as Partial<CorpusEntry>;
    const where = `${file}: templates[${index}]${typeof entry.id === "string" ? ` (${entry.id})` : ""}`;
    if (typeof entry.id !== "string" || !isPlainRelativePath(entry.id)) problems.push(`${where}: "id" must be a relative path like "batou/crontab"`);
    else if (seen.has(entry.id)) problems.push(`${where}: "id" is listed twice`);
    else seen.add(entry.id);
    if (typeof entry.source !== "string" || !parseSource(entry.source)) problems.push(`${where}: "source" must be "OWNER/NAME:PATH"`);
    if (typeof entry.commit !== "string" || !COMMIT.test(entry.commit)) problems.push(`${where}: "commit" must be 40 lowercase hex digits`);
    if (!entry.context || typeof entry.context !== "object" || Array.isArray(entry.context)) problems.push(`${where}: "context" must be an object`);
  });
  if (problems.length) throw new Error(problems.join("\n"));
  return parsed.templates as CorpusEntry[];
}

/** Where a clone of OWNER/NAME may be below `clones`, most likely first. */
export function gitDirCandidates(clones: string, owner: string, name: string): string[] {
  const folders = [join(clones, `${owner}+${name}`), join(clones, owner, name)];
  return folders.flatMap((folder) => [join(folder, ".git"), folder, join(folder, "repo", ".git"), join(folder, "repo")]);
}

/** The git directory of OWNER/NAME's clone, or undefined. */
function findGitDir(clones: string, owner: string, name: string): string | undefined {
  return gitDirCandidates(clones, owner, name).find((dir) => existsSync(join(dir, "HEAD")) && existsSync(join(dir, "objects")));
}

/** The command that prints `path` as it is at `commit`. */
export function gitShowCommand(gitDir: string, commit: string, path: string): string[] {
  return ["git", `--git-dir=${gitDir}`, "show", `${commit}:${path}`];
}

/**
 * Writes every manifest entry from its clone below `outDir` (replacing an
 * earlier corpus there, refusing any other non-empty directory). Throws, writing nothing, when any is missing; the message lists
 * each one with what to do.
 */
export function materialize(options: { clones: string; outDir?: string; manifest?: string }): { written: number; outDir: string } {
  const clones = resolve(options.clones);
  const outDir = resolve(options.outDir ?? DEFAULT_CORPUS_DIR);
  if (!existsSync(clones) || !statSync(clones).isDirectory()) throw new Error(`${clones}: no such directory (it should hold one git clone per repository)`);
  const entries = readManifest(options.manifest);
  const files = new Map<string, Uint8Array>();
  const problems: string[] = [];
  const missingRepos = new Set<string>();
  for (const entry of entries) {
    const { owner, name, path } = parseSource(entry.source)!;
    const gitDir = findGitDir(clones, owner, name);
    if (!gitDir) {
      if (!missingRepos.has(`${owner}/${name}`)) problems.push(`${owner}/${name}: no clone under ${clones} (looked for ${owner}+${name} and ${owner}/${name}); get it with: git clone https://github.com/${owner}/${name} ${join(clones, owner, name)}`);
      missingRepos.add(`${owner}/${name}`);
      continue;
    }
    const show = Bun.spawnSync(gitShowCommand(gitDir, entry.commit, path), { stdout: "pipe", stderr: "pipe" });
    if (show.exitCode !== 0) {
      const why = show.stderr.toString().trim().split("\n")[0];
      problems.push(`${owner}/${name}: ${path} at commit ${entry.commit} not found in ${gitDir} (${why}); a shallow or old clone lacks it: git -C <clone> fetch --unshallow origin`);
      continue;
    }
    files.set(entry.id, show.stdout);
  }
  if (problems.length) throw new Error(`the corpus is incomplete: ${problems.length} problem(s), nothing written\n${problems.join("\n")}`);
  // Only an earlier corpus is replaced: a mistyped OUT must not wipe someone's folder.
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !existsSync(join(outDir, MARKER))) throw new Error(`${outDir} exists and is no materialized corpus (it has no ${MARKER}): choose another OUT or remove it yourself`);
  // Written beside the target and renamed into place: never a half-filled corpus.
  const partial = `${outDir}.part-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  try {
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, MARKER), `written by tests/templates/tools/materialize-corpus.ts from ${clones}\n`);
    for (const [id, content] of files) {
      mkdirSync(dirname(join(partial, id)), { recursive: true });
      writeFileSync(join(partial, id), content);
    }
    rmSync(outDir, { recursive: true, force: true });
    renameSync(partial, outDir);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return { written: files.size, outDir };
}

if (import.meta.main) {
  const [clones, outDir] = process.argv.slice(2);
  if (!clones) {
    console.error("usage: bun tests/templates/tools/materialize-corpus.ts CLONES [OUT]\n  CLONES: a directory with one git clone per repository of tests/templates/corpus/manifest.json (OWNER+NAME or OWNER/NAME)\n  OUT: where the templates go (default tests/templates/.corpus)");
    process.exit(2);
  }
  try {
    const { written, outDir: out } = materialize({ clones, outDir });
    console.log(`${written} templates written to ${out}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
