/** Release version order. */

/** Compares versions like 1.2.10 > 1.2.9 and 1.0.0 > 1.0.0-rc1. */
export function compareVersions(a: string, b: string): number {
  const [amain, apre] = a.split(/-(.*)/s, 2) as [string, string?];
  const [bmain, bpre] = b.split(/-(.*)/s, 2) as [string, string?];
  const an = amain.split(".").map(Number);
  const bn = bmain.split(".").map(Number);
  for (let i = 0; i < Math.max(an.length, bn.length); i++) {
    const d = (an[i] ?? 0) - (bn[i] ?? 0);
    if (d) return Math.sign(d);
  }
  if (apre === bpre) return 0;
  if (apre === undefined) return 1;
  if (bpre === undefined) return -1;
  return apre.localeCompare(bpre, "en", { numeric: true });
}
