/**
 * `batou graph --format svg`: DOT laid out and drawn by Graphviz itself,
 * compiled to WebAssembly (@viz-js/viz). The WebAssembly module is inlined in
 * the package's JavaScript, so it is part of the bundle and of the compiled
 * executable: users need no Graphviz. It is imported only when an SVG is
 * drawn, so no other command pays for instantiating it.
 */
import { BatouError } from "../engine/errors.ts";

/** The SVG drawing of `dot` (Graphviz's `dot` layout). */
export async function renderSvg(dot: string): Promise<string> {
  const { instance } = await import("@viz-js/viz");
  const viz = await instance();
  const result = viz.render(dot, { format: "svg", engine: "dot" });
  if (result.status !== "success") {
    // Our own DOT: a failure here is batou's bug, not the user's.
    const messages = result.errors.map((error) => `${error.level ?? "error"}: ${error.message}`).join("; ");
    throw new BatouError(`cannot draw the graph: Graphviz refused it`, { graphviz: messages, hint: "please report this; --format dot shows the input" });
  }
  return result.output;
}
