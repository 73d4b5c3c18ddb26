/**
 * Reading what `batou graph` wrote, for structural assertions: DOT is parsed
 * by Graphviz itself (its JSON output, through @viz-js/viz), SVG by an XML
 * parser. Tests compare hosts, nodes, edges and attributes, never strings of
 * output.
 */
import { instance } from "@viz-js/viz";
import { XMLParser, XMLValidator } from "fast-xml-parser";

export type Attributes = Record<string, string>;

export interface ParsedDot {
  attributes: Attributes;
  /** Cluster name (`cluster_HOST`) → its attributes and the names of its nodes. */
  clusters: Map<string, { attributes: Attributes; nodes: string[] }>;
  /** Node name → attributes; labels with their escapes read (`\n` is a line break). */
  nodes: Map<string, Attributes>;
  edges: { tail: string; head: string; attributes: Attributes }[];
}

/** What Graphviz adds when it lays the graph out: not part of the input. */
const LAYOUT = new Set(["bb", "pos", "lp", "width", "height", "lheight", "lwidth", "xdotversion", "name", "nodes", "edges", "objects", "directed", "strict", "tail", "head"]);

/** A label as Graphviz shows it: `\n`, `\l`, `\r` are line breaks, `\X` is X. */
function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => ("nlr".includes(c) ? "\n" : c));
}

function attributesOf(object: Record<string, unknown>): Attributes {
  const result: Attributes = {};
  for (const [key, value] of Object.entries(object)) {
    if (key.startsWith("_") || LAYOUT.has(key)) continue;
    result[key] = key === "label" ? unescape(String(value)) : String(value);
  }
  return result;
}

interface GraphvizJson {
  objects?: ({ _gvid: number; name: string; nodes?: number[] } & Record<string, unknown>)[];
  edges?: ({ tail: number; head: number } & Record<string, unknown>)[];
}

/** Parses `dot` with Graphviz (throws when Graphviz refuses it). */
export async function parseDot(dot: string): Promise<ParsedDot> {
  const viz = await instance();
  const json = viz.renderJSON(dot, { format: "json0" }) as GraphvizJson & Record<string, unknown>;
  const objects = json.objects ?? [];
  // Subgraphs and nodes share one numbering (`_gvid`); edges and subgraphs refer to nodes by it.
  const names = new Map(objects.map((object) => [object._gvid, object.name]));
  const parsed: ParsedDot = { attributes: attributesOf(json), clusters: new Map(), nodes: new Map(), edges: [] };
  for (const object of objects) {
    // Subgraphs list their nodes; nodes do not.
    if (Array.isArray(object.nodes)) parsed.clusters.set(object.name, { attributes: attributesOf(object), nodes: object.nodes.map((id) => names.get(id)!) });
    else parsed.nodes.set(object.name, attributesOf(object));
  }
  for (const edge of json.edges ?? []) {
    parsed.edges.push({ tail: names.get(edge.tail)!, head: names.get(edge.head)!, attributes: attributesOf(edge) });
  }
  return parsed;
}

/** `host/name` → the edges as `tail -label-> head` lines, sorted (for comparing edge sets). */
export function edgeLines(dot: ParsedDot): string[] {
  return dot.edges.map((edge) => `${edge.tail} -${edge.attributes.label}-> ${edge.head}`).sort();
}

export interface ParsedSvg {
  width: string;
  height: string;
  /** The `<title>` of every cluster (`cluster_HOST`) and node (`host/name`) group Graphviz drew. */
  clusters: string[];
  nodes: string[];
  /** Every piece of text drawn. */
  texts: string[];
}

/** Parses an SVG document as XML (throws when it is not well-formed). */
export function parseSvg(svg: string): ParsedSvg {
  const valid = XMLValidator.validate(svg);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} at line ${valid.err.line}`);
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", textNodeName: "#text", htmlEntities: true });
  const document = parser.parse(svg) as { svg: Record<string, unknown> & { width: string; height: string } };
  const result: ParsedSvg = { width: document.svg.width, height: document.svg.height, clusters: [], nodes: [], texts: [] };
  const textOf = (value: unknown) => String(typeof value === "object" && value !== null ? ((value as Record<string, unknown>)["#text"] ?? "") : value);
  // Graphviz nests groups and links (for tooltips) freely: walk every element.
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    const element = value as Record<string, unknown>;
    if (element.class === "cluster") result.clusters.push(textOf(element.title));
    if (element.class === "node") result.nodes.push(textOf(element.title));
    for (const text of [element.text ?? []].flat()) result.texts.push(textOf(text));
    for (const [key, child] of Object.entries(element)) if (key !== "text" && key !== "title") visit(child);
  };
  visit(document.svg);
  return result;
}
