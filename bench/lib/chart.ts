/**
 * The comparison chart: CPU per call and INVITE→200 response time against the offered
 * rate, one line per proxy. Drawn as SVG here (no dependency); turned into a PNG by
 * @resvg/resvg-js, loaded lazily — when that package is not installed the SVG is still
 * written and the PNG step says it was skipped.
 */
import fs from 'node:fs';

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: Array<[number, number]>;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic y axis (response times spread over orders of magnitude). */
  logY?: boolean;
  series: Series[];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Round tick steps (1, 2, 2.5, 5 × 10^n) covering [0, max]. */
function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.999 && ticks.length < 20; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function tickLabel(v: number): string {
  if (v >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

function drawPanel(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const m = { l: 62, r: 16, t: 34, b: 46 };
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const all = p.series
    .flatMap((s) => s.points)
    .filter((q) => Number.isFinite(q[0]) && Number.isFinite(q[1]) && (!p.logY || q[1] > 0));
  const xt = niceTicks(Math.max(1, ...all.map((q) => q[0])));
  const xmax = xt[xt.length - 1] ?? 1;
  const X = (v: number) => x0 + m.l + (v / xmax) * pw;
  let yt: number[];
  let Y: (v: number) => number;
  if (p.logY) {
    const lo = Math.floor(Math.log10(Math.min(...all.map((q) => q[1]), 1)));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all.map((q) => q[1]), 1))));
    yt = [];
    for (let e = lo; e <= hi; e++) yt.push(10 ** e);
    Y = (v: number) => y0 + m.t + ph - ((Math.log10(v) - lo) / (hi - lo)) * ph;
  } else {
    yt = niceTicks(Math.max(1e-9, ...all.map((q) => q[1])));
    const top = yt[yt.length - 1] ?? 1;
    Y = (v: number) => y0 + m.t + ph - (v / top) * ph;
  }
  const ymin = yt[0] ?? 0;
  const ymax = yt[yt.length - 1] ?? 1;
  let s = `<text x="${x0 + m.l + pw / 2}" y="${y0 + 20}" text-anchor="middle" font-size="15" font-weight="bold">${esc(p.title)}</text>\n`;
  for (const t of yt) {
    s += `<line x1="${X(0)}" y1="${Y(t)}" x2="${X(xmax)}" y2="${Y(t)}" stroke="#e2e2e2"/>\n`;
    s += `<text x="${X(0) - 6}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${tickLabel(t)}</text>\n`;
  }
  for (const t of xt) {
    s += `<line x1="${X(t)}" y1="${Y(ymin)}" x2="${X(t)}" y2="${Y(ymin) + 4}" stroke="#444"/>\n`;
    s += `<text x="${X(t)}" y="${Y(ymin) + 17}" text-anchor="middle" font-size="11">${tickLabel(t)}</text>\n`;
  }
  s += `<line x1="${X(0)}" y1="${Y(ymin)}" x2="${X(xmax)}" y2="${Y(ymin)}" stroke="#444"/>\n`;
  s += `<line x1="${X(0)}" y1="${Y(ymin)}" x2="${X(0)}" y2="${Y(ymax)}" stroke="#444"/>\n`;
  s += `<text x="${X(xmax / 2)}" y="${y0 + h - 8}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>\n`;
  s += `<text transform="translate(${x0 + 16},${y0 + m.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>\n`;
  for (const se of p.series) {
    const pts = se.points.filter((q) => all.includes(q)).sort((a, b) => a[0] - b[0]);
    if (pts.length === 0) continue;
    const d = pts.map((q, i) => `${i ? 'L' : 'M'}${X(q[0]).toFixed(1)},${Y(q[1]).toFixed(1)}`).join(' ');
    s += `<path d="${d}" fill="none" stroke="${se.color}" stroke-width="2.2"${se.dashed ? ' stroke-dasharray="6 4"' : ''}/>\n`;
    for (const q of pts)
      s += `<circle cx="${X(q[0]).toFixed(1)}" cy="${Y(q[1]).toFixed(1)}" r="3.2" fill="${se.color}"/>\n`;
  }
  // legend, top left inside the plot
  let ly = y0 + m.t + 8;
  for (const se of p.series) {
    const lx = x0 + m.l + 10;
    s += `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${se.color}" stroke-width="2.2"${se.dashed ? ' stroke-dasharray="6 4"' : ''}/>\n`;
    s += `<text x="${lx + 28}" y="${ly + 4}" font-size="11">${esc(se.name)}</text>\n`;
    ly += 16;
  }
  return s;
}

/** Panels side by side, with a caption line under them. */
export function renderSvg(panels: Panel[], caption: string, panelW = 520, panelH = 380): string {
  const w = panelW * panels.length;
  const h = panelH + 28;
  let body = '';
  panels.forEach((p, i) => {
    body += drawPanel(p, i * panelW, 0, panelW, panelH);
  });
  body += `<text x="${w / 2}" y="${h - 10}" text-anchor="middle" font-size="11" fill="#555">${esc(caption)}</text>\n`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="DejaVu Sans, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}</svg>\n`
  );
}

/**
 * Writes the PNG with @resvg/resvg-js when it is installed. Returns null on success, or
 * why the PNG was not made.
 */
export function writePng(svg: string, file: string): string | null {
  let mod: { Resvg: new (svg: string, opts: object) => { render(): { asPng(): Buffer } } };
  try {
    mod = require('@resvg/resvg-js');
  } catch {
    return 'PNG skipped: the @resvg/resvg-js package is not installed (npm install --save-dev @resvg/resvg-js); the SVG was written';
  }
  try {
    const png = new mod.Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: 2 },
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    })
      .render()
      .asPng();
    fs.writeFileSync(file, png);
    return null;
  } catch (e) {
    return `PNG skipped: rendering failed (${(e as Error).message}); the SVG was written`;
  }
}
