/** A small, dependency-free SVG line chart (inline in report.html; no CDN, no network). */

export interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  /** Dashed line (e.g. a second percentile of the same series). */
  readonly dashed?: boolean;
  /** Colour index; series with the same index share a colour. */
  readonly colour: number;
  /** Per point, an interval drawn as an error bar (e.g. a 95% confidence interval), or null. */
  readonly errors?: readonly (readonly [number, number] | null)[];
  /** A shaded band along the line (per point: low, high), e.g. the interquartile range across seeds. */
  readonly band?: readonly (readonly [number, number])[];
  /** Per point, a warning (e.g. "p99 rests on 120 samples"): the point is drawn hollow and says it. */
  readonly marks?: readonly (string | null)[];
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly logY?: boolean;
  readonly yMin?: number;
  readonly yMax?: number;
  readonly width?: number;
  readonly height?: number;
  /** Shaded x ranges (e.g. an incident's fault window), each labelled. */
  readonly bands?: readonly { readonly from: number; readonly to: number; readonly label: string }[];
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

export const colourOf = (i: number): string => PALETTE[i % PALETTE.length] as string;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const fmt = (v: number): string => {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (a >= 10) return String(Math.round(v));
  if (a >= 1) return String(Math.round(v * 10) / 10);
  return String(Math.round(v * 1000) / 1000);
};

function ticks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
    return out.filter((t) => t >= min * 0.999 && t <= max * 1.001);
  }
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const out: number[] = [];
  for (let t = Math.ceil(min / nice) * nice; t <= max + 1e-9; t += nice)
    out.push(Math.round(t / nice) * nice);
  return out;
}

export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 360;
  const m = { l: 64, r: 16, t: 32, b: 48 };
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const bands = o.bands ?? [];
  // Error bars and bands count towards the y range, so none is cut off.
  const extents = series.flatMap((s) => [
    ...(s.errors ?? []).flatMap((e) => (e === null ? [] : [...e])),
    ...(s.band ?? []).flatMap((b) => [...b]),
  ]);
  const ys = [...pts.map(([, y]) => y), ...extents].filter((y) => Number.isFinite(y) && (!o.logY || y > 0));
  if (pts.length === 0 || ys.length === 0) {
    return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="80" role="img"><title>${escapeXml(o.title)}</title><text x="10" y="40">${escapeXml(o.title)}: no data</text></svg>`;
  }
  let xMin = Math.min(...pts.map(([x]) => x), ...bands.map((b) => b.from));
  let xMax = Math.max(...pts.map(([x]) => x), ...bands.map((b) => b.to));
  if (xMin === xMax) {
    xMin -= 1;
    xMax += 1;
  }
  let yMin = o.yMin ?? (o.logY ? Math.min(...ys) : Math.min(0, ...ys));
  let yMax = o.yMax ?? Math.max(...ys);
  if (o.logY) {
    yMin = 10 ** Math.floor(Math.log10(yMin));
    yMax = 10 ** Math.ceil(Math.log10(yMax));
  }
  if (yMin === yMax) yMax = yMin + 1;
  const tx = (x: number): number => m.l + ((x - xMin) / (xMax - xMin)) * (W - m.l - m.r);
  const ty = (y: number): number => {
    const f = o.logY
      ? (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
      : (y - yMin) / (yMax - yMin);
    return H - m.b - f * (H - m.t - m.b);
  };
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">`,
    `<title>${escapeXml(o.title)}</title>`,
    `<text x="8" y="18" font-size="13" font-weight="bold">${escapeXml(o.title)}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`,
  );
  for (const b of bands) {
    const x0 = tx(b.from);
    parts.push(
      `<rect class="band" x="${x0.toFixed(1)}" y="${m.t}" width="${Math.max(1, tx(b.to) - x0).toFixed(1)}" height="${H - m.t - m.b}" fill="#d62728" fill-opacity="0.12"><title>${escapeXml(b.label)}</title></rect>`,
      `<text x="${(x0 + 4).toFixed(1)}" y="${m.t + 14}" font-size="11" fill="#a00">${escapeXml(b.label)}</text>`,
    );
  }
  for (const t of ticks(yMin, yMax, o.logY ?? false)) {
    const y = ty(t).toFixed(1);
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#eee"/>`,
      `<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${fmt(t)}</text>`,
    );
  }
  for (const t of ticks(xMin, xMax, false)) {
    const x = tx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/>`,
      `<text x="${x}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${escapeXml(o.xLabel)}</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${H / 2})">${escapeXml(o.yLabel)}</text>`,
  );
  const ok = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0);
  for (const s of series) {
    const c = colourOf(s.colour);
    const band = (s.band ?? [])
      .map((b, i) => [s.points[i]?.[0] ?? Number.NaN, b[0], b[1]] as const)
      .filter(([x, lo, hi]) => ok(x, lo) && ok(x, hi));
    if (band.length > 1) {
      const edge = [...band.map(([x, , hi]) => [x, hi]), ...[...band].reverse().map(([x, lo]) => [x, lo])];
      const d = edge.map(
        ([x, y], i) => `${i === 0 ? "M" : "L"}${tx(x as number).toFixed(1)},${ty(y as number).toFixed(1)}`,
      );
      parts.push(`<path class="band" d="${d.join(" ")} Z" fill="${c}" fill-opacity="0.15" stroke="none"/>`);
    }
    const idx = s.points.map((_, i) => i).filter((i) => ok(...(s.points[i] as readonly [number, number])));
    if (idx.length === 0) continue;
    const p = idx.map((i) => s.points[i] as readonly [number, number]);
    const d = p.map(([x, y], i) => `${i === 0 ? "M" : "L"}${tx(x).toFixed(1)},${ty(y).toFixed(1)}`).join(" ");
    parts.push(
      `<path class="series" d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}><title>${escapeXml(s.label)}</title></path>`,
    );
    for (const i of idx) {
      const [x] = s.points[i] as readonly [number, number];
      const e = s.errors?.[i];
      if (e !== undefined && e !== null && ok(x, e[0]) && ok(x, e[1])) {
        const X = tx(x).toFixed(1);
        const [lo, hi] = [ty(e[0]).toFixed(1), ty(e[1]).toFixed(1)];
        parts.push(
          `<path class="errorbar" d="M${X},${lo} L${X},${hi} M${(tx(x) - 4).toFixed(1)},${lo} L${(tx(x) + 4).toFixed(1)},${lo} M${(tx(x) - 4).toFixed(1)},${hi} L${(tx(x) + 4).toFixed(1)},${hi}" stroke="${c}" stroke-width="1.2" fill="none"><title>${escapeXml(`${s.label}: ${fmt(e[0])} .. ${fmt(e[1])}`)}</title></path>`,
        );
      }
    }
    if (p.length < 40) {
      for (const i of idx) {
        const [x, y] = s.points[i] as readonly [number, number];
        const mark = s.marks?.[i] ?? null;
        const fill = mark === null ? c : "#fff";
        const note = mark === null ? "" : ` (${mark})`;
        parts.push(
          `<circle cx="${tx(x).toFixed(1)}" cy="${ty(y).toFixed(1)}" r="3" fill="${fill}" stroke="${c}"${mark === null ? "" : ' class="thin"'}><title>${escapeXml(`${s.label}: ${fmt(x)}, ${fmt(y)}${note}`)}</title></circle>`,
        );
      }
    }
  }
  parts.push("</svg>");
  return parts.join("\n");
}
