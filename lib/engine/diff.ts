/**
 * Unified diffs of file content for predict and deploy output, through the
 * maintained `diff` library. Content that is sensitive, binary or contains a
 * secret value is never shown.
 */
import { createTwoFilesPatch } from "diff";

/** Lines shown at most; longer diffs show their head and tail. */
export const MAX_DIFF_LINES = 200;

export type DiffView = { diff: string } | { note: string };

function looksBinary(text: string): boolean {
  return text.includes("\u0000");
}

/** Secret values shorter than this are not looked for: they would hide (and mask) too much. */
export const MIN_SECRET_LENGTH = 4;

function containsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => secret.length >= MIN_SECRET_LENGTH && text.includes(secret));
}

export function diffView(
  path: string,
  before: string,
  after: string,
  options: { sensitive?: boolean; binary?: boolean; secrets?: readonly string[] } = {},
): DiffView {
  if (options.sensitive) return { note: "not showing the diff: sensitive content" };
  if (options.binary || looksBinary(before) || looksBinary(after)) return { note: "binary content changed" };
  if (containsSecret(before, options.secrets ?? []) || containsSecret(after, options.secrets ?? [])) {
    return { note: "not showing the diff: it contains a secret value" };
  }
  const patch = createTwoFilesPatch(path, path, before, after, "", "", { context: 3 });
  const lines = patch.split("\n").slice(2); // drop the "Index"/"===" header lines
  if (lines.length > MAX_DIFF_LINES) {
    const half = MAX_DIFF_LINES / 2;
    return { diff: [...lines.slice(0, half), `... ${lines.length - MAX_DIFF_LINES} more lines ...`, ...lines.slice(-half)].join("\n") };
  }
  return { diff: lines.join("\n") };
}
