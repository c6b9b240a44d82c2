// The picture of benchmark 1: per job population, requests per job (x, log scale) against p95
// detection latency (y), one point per strategy. The oracle sits at the floor of what is possible;
// down and to the left is better.

const W = 330;
const H = 250;
const PAD = { left: 52, right: 14, top: 34, bottom: 40 };
const COLORS = {
  tanstack: '#7f7f7f',
  loop1s: '#7f7f7f',
  loop2s: '#4c72b0',
  loop2sBudget: '#8172b2',
  oldDefault: '#dd8452',
  oldBudget: '#dd8452',
  eta: '#2ca02c',
  etaBudget: '#2ca02c',
  oracle: '#000000',
};

const esc = (text) =>
  String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
const fmt = (v) => (v >= 100 ? String(Math.round(v)) : v >= 10 ? v.toFixed(0) : v.toFixed(1));

function ticks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}

function panel(pop, ox, oy) {
  const points = pop.strategies.filter((s) => s.latencyP95Ms !== null && s.requestsPerJob > 0);
  const xs = points.map((s) => s.requestsPerJob);
  const ys = points.map((s) => s.latencyP95Ms / 1000);
  const xLo = Math.min(...xs) / 1.5;
  const xHi = Math.max(...xs) * 1.5;
  const yHi = Math.max(1, ...ys) * 1.15;
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const px = (v) => ox + PAD.left + ((Math.log(v) - Math.log(xLo)) / (Math.log(xHi) - Math.log(xLo))) * pw;
  const py = (v) => oy + PAD.top + ph - (v / yHi) * ph;
  const parts = [
    `<text x="${ox + W / 2}" y="${oy + 16}" text-anchor="middle" font-weight="bold">${esc(pop.label)}</text>`,
    `<rect x="${ox + PAD.left}" y="${oy + PAD.top}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`,
  ];
  for (const t of ticks(xLo, xHi)) {
    parts.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${oy + PAD.top + ph}" y2="${oy + PAD.top + ph + 4}" stroke="#999"/>`,
      `<text x="${px(t)}" y="${oy + PAD.top + ph + 15}" text-anchor="middle" font-size="10">${fmt(t)}</text>`,
    );
  }
  const yStep = yHi > 20 ? 10 : yHi > 8 ? 5 : yHi > 4 ? 2 : yHi > 2 ? 1 : 0.5;
  for (let t = 0; t <= yHi; t += yStep) {
    parts.push(
      `<line x1="${ox + PAD.left - 4}" x2="${ox + PAD.left}" y1="${py(t)}" y2="${py(t)}" stroke="#999"/>`,
      `<text x="${ox + PAD.left - 7}" y="${py(t) + 3}" text-anchor="end" font-size="10">${t}</text>`,
    );
  }
  parts.push(
    `<text x="${ox + PAD.left + pw / 2}" y="${oy + H - 6}" text-anchor="middle" font-size="10">requests per job (log)</text>`,
    `<text transform="translate(${ox + 13} ${oy + PAD.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="10">p95 latency (s)</text>`,
  );
  // Labels: the first of four spots around the point (above/below, right/left) that overlaps no label placed yet.
  const placed = points.map((s) => {
    const [cx, cy] = [px(s.requestsPerJob), py(s.latencyP95Ms / 1000)];
    return [cx - 5, cy - 5, cx + 5, cy + 5];
  });
  const spot = (cx, cy, text) => {
    const w = text.length * 5.6;
    for (const [dx, dy, anchor] of [
      [7, -6, 'start'],
      [7, 14, 'start'],
      [-7, -6, 'end'],
      [-7, 14, 'end'],
      [0, -12, 'middle'],
      [0, 20, 'middle'],
    ]) {
      const x0 = anchor === 'end' ? cx + dx - w : anchor === 'middle' ? cx - w / 2 : cx + dx;
      const box = [x0, cy + dy - 10, x0 + w, cy + dy + 2];
      const inside = box[0] >= ox && box[2] <= ox + W;
      if (inside && !placed.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) {
        placed.push(box);
        return { x: cx + dx, y: cy + dy, anchor };
      }
    }
    return { x: cx + 7, y: cy - 6, anchor: 'start' };
  };
  for (const s of points) {
    const [cx, cy] = [px(s.requestsPerJob), py(s.latencyP95Ms / 1000)];
    const color = COLORS[s.key] ?? '#444';
    const mark =
      s.key === 'oracle'
        ? `<rect x="${cx - 4}" y="${cy - 4}" width="8" height="8" fill="${color}"/>`
        : `<circle cx="${cx}" cy="${cy}" r="${s.key.startsWith('eta') ? 5.5 : 4}" fill="${color}"${s.key.endsWith('Budget') ? ` fill-opacity="0.45" stroke="${color}"` : ''}/>`;
    const label = spot(cx, cy, s.short);
    parts.push(
      `<g>${mark}<title>${esc(`${s.label}: ${s.requestsPerJob} requests/job, p95 ${s.latencyP95Ms / 1000} s`)}</title></g>`,
      `<text x="${label.x}" y="${label.y}" text-anchor="${label.anchor}" font-size="10" fill="${color}">${esc(s.short)}</text>`,
    );
  }
  return parts.join('\n');
}

/** The SVG text for the populations of one polling run. */
export function pollingSvg(populations) {
  const cols = 3;
  const rows = Math.ceil(populations.length / cols);
  const width = cols * W;
  const height = rows * H + 30;
  const panels = populations.map((pop, i) => panel(pop, (i % cols) * W, 30 + Math.floor(i / cols) * H));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<title>batchwatch polling benchmark: requests per job against p95 detection latency, per job population</title>
<rect width="${width}" height="${height}" fill="#fff"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">Requests per job vs p95 detection latency, per job population (down and left is better; the square is the oracle)</text>
${panels.join('\n')}
</svg>
`;
}
