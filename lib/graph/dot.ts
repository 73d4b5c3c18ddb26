/**
 * `batou graph --format dot`: the graph model as Graphviz DOT text. Hosts are
 * clusters (with platform and service user), root components boxes in them
 * numbered in deploy order, resource edges run from provider to requirer
 * labelled with the key. Greyed and dashed: what is not deployed (ignored
 * hosts, `!components`). Red: what made configuring fail (a failed
 * configure(), a dependency cycle, "nothing provides KEY"). DOT is written by
 * ts-graphviz; the SVG is laid out from this text (svg.ts).
 */
import { Digraph, type EdgeAttributesObject, type NodeAttributesObject, type NodeModel, toDot } from "ts-graphviz";
import type { GraphEdge, GraphHost, GraphModel, GraphRoot } from "../engine/model-graph.ts";

/** Colours of the picture (also what the docs describe). */
export const COLORS = { error: "#d62728", warning: "#e07b00", ignored: "#9a9a9a", ignoredFill: "#f2f2f2", line: "#444444" } as const;

const FONT = "Helvetica";
/** Characters per line of a wrapped message, and lines shown at most. */
const WRAP = 40;
const MAX_LINES = 4;

/**
 * User text as a DOT string (label or id): control characters dropped,
 * backslashes doubled (Graphviz reads `\N`, `\l`, … in labels as escapes, and
 * a final backslash would escape the closing quote); ts-graphviz quotes the
 * rest and turns newlines into `\n`.
 */
function text(value: string): string {
  return value.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, "").replace(/\\/g, "\\\\");
}

/** `message` in lines of about `WRAP` characters, at most `MAX_LINES` (the rest cut with "…"). */
export function wrap(message: string): string[] {
  const lines: string[] = [];
  for (const word of message.replace(/\s+/g, " ").trim().split(" ")) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= WRAP) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES - 1), `${lines[MAX_LINES - 1]} …`];
}

function hostLabel(host: GraphHost): string {
  const facts = [host.platform && `platform ${host.platform}`, host.serviceUser && `user ${host.serviceUser}`].filter(Boolean).join(" · ");
  return [host.name, facts, host.ignored && `ignored (${host.ignored})`].filter(Boolean).join("\n");
}

function rootAttributes(root: GraphRoot): NodeAttributesObject {
  const title = root.order === undefined ? root.name : `${root.order}. ${root.name}`;
  const lines = [title];
  if (root.ignored) lines.push(`not deployed (${root.ignored})`);
  if (root.failed) lines.push("configure() failed:", ...wrap(root.failed.replace(/^configure\(\) failed: /, "")));
  if (root.cycle) lines.push("on a dependency cycle");
  const attributes: NodeAttributesObject = { label: text(lines.join("\n")), tooltip: text(root.id) };
  if (root.failed || root.cycle) Object.assign(attributes, { color: COLORS.error, fontcolor: COLORS.error, penwidth: 2 });
  else if (root.ignored) Object.assign(attributes, { color: COLORS.ignored, fontcolor: COLORS.ignored, fillcolor: COLORS.ignoredFill, style: "rounded,filled,dashed" });
  return attributes;
}

function edgeAttributes(edge: GraphEdge): EdgeAttributesObject {
  const notes = [edge.host && `on ${edge.host}`, edge.reverse && "reverse", edge.dirty && "dirty"].filter(Boolean);
  const label = notes.length ? `${edge.key} (${notes.join(", ")})` : edge.key;
  const attributes: EdgeAttributesObject = { label: text(label), tooltip: text(`${edge.from} provides ${edge.key} to ${edge.to}`) };
  // One line style per edge: dirty is dotted, reverse dashed; reverse also gets an open arrow head, so both show.
  if (edge.dirty) attributes.style = "dotted";
  else if (edge.reverse) attributes.style = "dashed";
  if (edge.reverse) attributes.arrowhead = "onormal";
  if (edge.cycle) Object.assign(attributes, { color: COLORS.error, fontcolor: COLORS.error, penwidth: 2 });
  return attributes;
}

/** The DOT text of `graph`. */
export function toDotText(graph: GraphModel): string {
  const problems = graph.errors.length;
  const title = problems ? `${graph.environment}: configuration failed (${problems} error${problems === 1 ? "" : "s"})` : graph.environment;
  const g = new Digraph("batou", {
    label: text(title),
    labelloc: "t",
    fontname: FONT,
    fontsize: 16,
    fontcolor: problems ? COLORS.error : "black",
    rankdir: "LR",
    nodesep: 0.4,
    ranksep: 0.8,
  });
  // Wide margins: the layout measures text in Helvetica, a viewer may draw it in a wider font.
  g.node({ shape: "box", style: "rounded,filled", fillcolor: "white", fontname: FONT, fontsize: 12, color: COLORS.line, margin: "0.3,0.1" });
  g.edge({ fontname: FONT, fontsize: 10, color: COLORS.line });

  const nodes = new Map<string, NodeModel>();
  for (const host of graph.hosts) {
    const cluster = g.createSubgraph(text(`cluster_${host.name}`), {
      label: text(hostLabel(host)),
      fontname: FONT,
      fontsize: 12,
      style: host.ignored ? "rounded,filled,dashed" : "rounded",
      color: host.ignored ? COLORS.ignored : COLORS.line,
      fontcolor: host.ignored ? COLORS.ignored : "black",
      fillcolor: COLORS.ignoredFill,
      tooltip: text(host.fqdn),
    });
    const roots = graph.roots.filter((r) => r.host === host.name);
    for (const root of roots) nodes.set(root.id, cluster.createNode(text(root.id), rootAttributes(root)));
    // Graphviz leaves out an empty cluster: a host without components still shows.
    if (roots.length === 0) cluster.createNode(text(`${host.name}/`), { label: "no components", shape: "plaintext", style: "", fontcolor: COLORS.ignored });
  }
  for (const edge of graph.edges) g.createEdge([nodes.get(edge.from)!, nodes.get(edge.to)!], edgeAttributes(edge));

  const problemNode = { style: "filled,dashed", fillcolor: "#fff4f4", penwidth: 2, shape: "box" } as const;
  for (const missing of graph.missing) {
    const label = `nothing provides ${missing.key}${missing.host ? `\non host ${missing.host}` : ""}`;
    const node = g.createNode(text(missing.id), { ...problemNode, label: text(label), color: COLORS.error, fontcolor: COLORS.error });
    for (const id of missing.requiredBy) {
      g.createEdge([node, nodes.get(id)!], { label: text(missing.key), color: COLORS.error, fontcolor: COLORS.error, style: "dashed", penwidth: 2 });
    }
  }
  for (const unused of graph.unused) {
    const node = g.createNode(text(unused.id), { ...problemNode, label: text(`nothing requires ${unused.key}`), color: COLORS.warning, fontcolor: COLORS.warning });
    g.createEdge([nodes.get(unused.providedBy)!, node], { label: text(unused.key), color: COLORS.warning, fontcolor: COLORS.warning, style: "dashed" });
  }
  return toDot(g);
}
