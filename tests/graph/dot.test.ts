/** The DOT writer on its own: user text reaches Graphviz's labels as written, long messages wrap. */
import { describe, expect, test } from "bun:test";
import type { GraphModel } from "../../lib/engine/model-graph.ts";
import { toDotText, wrap } from "../../lib/graph/dot.ts";
import { parseDot } from "./parse.ts";

const base: GraphModel = { environment: "e", ok: true, hosts: [], roots: [], edges: [], missing: [], unused: [], errors: [] };

describe("toDotText", () => {
  test("quotes, backslashes (Graphviz escapes like \\N) and control characters in names and keys stay text", async () => {
    const key = 'say "hi" \\N \\l\u001b[31m';
    const graph: GraphModel = {
      ...base,
      hosts: [{ name: 'h"1\\', fqdn: "h1.example.com" }],
      roots: [
        { id: 'h"1\\/a', host: 'h"1\\', name: "a", order: 1, cycle: false },
        { id: 'h"1\\/b', host: 'h"1\\', name: "b", order: 2, cycle: false },
      ],
      edges: [{ from: 'h"1\\/a', to: 'h"1\\/b', key, reverse: false, dirty: false, cycle: false }],
    };
    const dot = await parseDot(toDotText(graph));
    expect(dot.clusters.get('cluster_h"1\\\\')!.attributes.label).toBe('h"1\\');
    expect(dot.edges[0]!.attributes.label).toBe('say "hi" \\N \\l[31m');
    expect(dot.edges).toHaveLength(1);
  });

  test("a host without components still shows, saying so", async () => {
    const dot = await parseDot(toDotText({ ...base, hosts: [{ name: "spare", fqdn: "spare" }] }));
    expect(dot.clusters.get("cluster_spare")!.nodes).toEqual(["spare/"]);
    expect(dot.nodes.get("spare/")!.label).toBe("no components");
  });

  test("an error message wraps at about 40 characters, at most 4 lines", () => {
    const lines = wrap("cannot read the template file: it does not exist, and neither does the folder it should be in, nor its parent, nor anything else on this machine or on any other machine");
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.length <= 42)).toBe(true);
    expect(lines.at(-1)!.endsWith("…")).toBe(true);
    expect(wrap("short message")).toEqual(["short message"]);
  });
});
