/**
 * A small hand-written SVG line chart (no dependency): the no-op redeploy's
 * median time against the number of hosts, with the min–max spread as
 * whiskers and optional horizontal reference lines (goals, peers).
 */

export interface Point {
  x: number;
  median: number;
  min: number;
  max: number;
}

export interface Reference {
  y: number;
  label: string;
  color: string;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A "nice" axis maximum and tick step for values up to `max`. */
function niceScale(max: number): { top: number; step: number } {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return { top: Math.ceil(max / step) * step || step, step };
}

export function lineChart(options: { title: string; xLabel: string; yLabel: string; points: Point[]; references?: Reference[] }): string {
  const { title, xLabel, yLabel, points } = options;
  const references = options.references ?? [];
  const width = 740;
  const height = 400;
  const left = 64;
  const right = 250;
  const top = 48;
  const bottom = 56;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xMax = Math.max(1, ...points.map((p) => p.x));
  const { top: yTop, step } = niceScale(Math.max(0.1, ...points.map((p) => p.max), ...references.map((r) => r.y)) * 1.05);
  const sx = (x: number) => left + (x / xMax) * plotW;
  const sy = (y: number) => top + plotH - (y / yTop) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2 - right / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  );
  for (let y = 0; y <= yTop + 1e-9; y += step) {
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${left - 8}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${Number(y.toFixed(3))}</text>`,
    );
  }
  for (const p of points) {
    out.push(`<text x="${sx(p.x).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${p.x}</text>`);
  }
  out.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  references.forEach((r, i) => {
    const y = sy(r.y).toFixed(1);
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="${r.color}" stroke-dasharray="6 4"/>`,
      `<line x1="${left + plotW + 12}" x2="${left + plotW + 36}" y1="${top + 40 + i * 20}" y2="${top + 40 + i * 20}" stroke="${r.color}" stroke-dasharray="6 4"/>`,
      `<text x="${left + plotW + 42}" y="${top + 44 + i * 20}">${esc(r.label)}</text>`,
    );
  });
  const path = points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)} ${sy(p.median).toFixed(1)}`).join(" ");
  out.push(`<path d="${path}" fill="none" stroke="#1f6feb" stroke-width="2"/>`);
  for (const p of points) {
    const x = sx(p.x).toFixed(1);
    out.push(
      `<line x1="${x}" x2="${x}" y1="${sy(p.min).toFixed(1)}" y2="${sy(p.max).toFixed(1)}" stroke="#1f6feb" stroke-width="1"/>`,
      `<circle cx="${x}" cy="${sy(p.median).toFixed(1)}" r="4" fill="#1f6feb"><title>${p.x} host(s): median ${p.median.toFixed(3)} s (min ${p.min.toFixed(3)}, max ${p.max.toFixed(3)})</title></circle>`,
      `<text x="${x}" y="${(sy(p.median) - 9).toFixed(1)}" text-anchor="middle" fill="#1f6feb">${p.median.toFixed(2)}</text>`,
    );
  }
  out.push(
    `<line x1="${left + plotW + 12}" x2="${left + plotW + 36}" y1="${top + 20}" y2="${top + 20}" stroke="#1f6feb" stroke-width="2"/>`,
    `<text x="${left + plotW + 42}" y="${top + 24}">median (bar: min–max)</text>`,
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}
