/**
 * Python source read by Python itself: `python3` parses each `component.py` with its
 * `ast` module and hands the tree back as JSON, with the comments its `tokenize`
 * module finds. batou's own Python is on the machine of every batou user, and it
 * parses exactly what batou would load (see the README, "Why these choices").
 */
import { spawnSync } from "node:child_process";
import { BatouError } from "../engine/errors.ts";

/**
 * A node of Python's `ast`, as JSON: `_type` is the class name, the rest its fields. A
 * `Constant`'s number is `{ _type: "int" | "float", value: TEXT }` (Python's ints are big).
 */
export interface PyNode {
  _type: string;
  lineno?: number;
  col_offset?: number;
  end_lineno?: number;
  end_col_offset?: number;
  // Python's fields differ by node type; readers check `_type` first.
  [field: string]: any;
}

/** A parsed file: its module node and its comments (1-based line, column, text with `#`). */
export type ParsedPython =
  | { ok: true; module: PyNode; comments: [line: number, column: number, text: string][]; source: string }
  | { ok: false; line: number; column: number; message: string; source: string };

const DUMP = String.raw`
import ast, io, json, sys, tokenize
def constant(v):
    if isinstance(v, bool) or v is None or isinstance(v, str): return v
    if isinstance(v, int): return {"_type": "int", "value": str(v)}
    if isinstance(v, float) and v == v and abs(v) != float("inf"): return {"_type": "float", "value": repr(v)}
    return {"_type": "unsupported", "repr": repr(v)}
def conv(n):
    if isinstance(n, ast.AST):
        d = {"_type": type(n).__name__}
        for k, v in ast.iter_fields(n):
            d[k] = constant(v) if isinstance(n, ast.Constant) and k == "value" else conv(v)
        for k in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            if hasattr(n, k): d[k] = getattr(n, k)
        return d
    if isinstance(n, list): return [conv(x) for x in n]
    if isinstance(n, (bool, int, str)) or n is None: return n
    return {"_type": "unsupported", "repr": repr(n)}
out = []
for src in json.load(sys.stdin):
    try:
        tree = ast.parse(src)
        comments = [[t.start[0], t.start[1], t.string] for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type == tokenize.COMMENT]
        out.append({"ok": True, "module": conv(tree), "comments": comments})
    except SyntaxError as e:
        out.append({"ok": False, "line": e.lineno or 1, "column": e.offset or 1, "message": e.msg})
json.dump(out, sys.stdout)
`;

/** The Python interpreter migrate uses: `BATOU_MIGRATE_PYTHON`, else `python3`. */
export function pythonCommand(env: Record<string, string | undefined> = process.env): string {
  return env.BATOU_MIGRATE_PYTHON || "python3";
}

/**
 * Parses each source text with Python's `ast` (one interpreter run for all).
 * Throws when no Python can be run; a file with a syntax error is a result, not a throw.
 */
export function parsePython(sources: string[], python = pythonCommand()): ParsedPython[] {
  if (sources.length === 0) return [];
  const run = spawnSync(python, ["-c", DUMP], {
    input: JSON.stringify(sources),
    encoding: "utf8",
    maxBuffer: 1 << 30,
    timeout: 120_000,
  });
  if (run.error || run.status !== 0) {
    const why = run.error ? run.error.message : run.stderr.trim().split("\n").pop();
    throw new BatouError(`cannot read the component.py files: ${python} does not run (${why}); set BATOU_MIGRATE_PYTHON to a Python 3 interpreter`);
  }
  const results = JSON.parse(run.stdout) as Omit<ParsedPython, "source">[];
  return results.map((r, i) => ({ ...r, source: sources[i] }) as ParsedPython);
}

const LITERALS = String.raw`
import ast, json, sys
def plain(v):
    if v is None or isinstance(v, (bool, str)): return v
    if isinstance(v, int): return v if abs(v) < 2**53 else str(v)
    if isinstance(v, float):
        if v != v or abs(v) == float("inf"): raise ValueError
        return v
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v): raise ValueError
        return {k: plain(x) for k, x in v.items()}
    raise ValueError
out = []
for text in json.load(sys.stdin):
    try: out.append({"value": plain(ast.literal_eval(text))})
    except Exception: out.append(None)
json.dump(out, sys.stdout)
`;

/**
 * What Python's `ast.literal_eval` (batou's "literal" conversion) makes of each text,
 * as JSON data: `{ value }`, or null when it is no literal or has no JSON form
 * (a set, bytes, non-string dict keys).
 */
export function pythonLiterals(texts: string[], python = pythonCommand()): ({ value: unknown } | null)[] {
  if (texts.length === 0) return [];
  const run = spawnSync(python, ["-c", LITERALS], { input: JSON.stringify(texts), encoding: "utf8", timeout: 60_000 });
  if (run.error || run.status !== 0) return texts.map(() => null);
  return JSON.parse(run.stdout);
}
