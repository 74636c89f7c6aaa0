/** A stacked-area chart as SVG text, for the README's picture of the dashboard's main panel. */
export interface ChartSeries {
  name: string;
  /** One value per timestamp of the chart, null where there is none. */
  values: (number | null)[];
}

const PALETTE = [
  '#7eb26d',
  '#eab839',
  '#6ed0e0',
  '#ef843c',
  '#e24d42',
  '#1f78c1',
  '#ba43a9',
  '#705da0',
  '#508642',
  '#cca300',
];

export function stackedAreaSvg(
  title: string,
  subtitle: string,
  timesMs: number[],
  series: ChartSeries[],
): string {
  const width = 960;
  const height = 440;
  const plot = { left: 56, top: 56, right: 760, bottom: 400 };
  const totals = timesMs.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const x = (i: number) => plot.left + ((plot.right - plot.left) * i) / Math.max(1, timesMs.length - 1);
  const y = (share: number) => plot.bottom - (plot.bottom - plot.top) * share;
  const below = timesMs.map(() => 0);
  const color = (s: ChartSeries, k: number) => (s.name === 'other' ? '#5a5f66' : PALETTE[k % PALETTE.length]);
  const areas = series.map((s, k) => {
    const lower = [...below];
    s.values.forEach((v, i) => (below[i] = below[i]! + (totals[i] ? (v ?? 0) / totals[i]! : 0)));
    const top = below.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    const bottom = lower.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).reverse();
    return `<polygon points="${[...top, ...bottom].join(' ')}" fill="${color(s, k)}" fill-opacity="0.85"/>`;
  });
  const grid = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<line x1="${plot.left}" x2="${plot.right}" y1="${y(f)}" y2="${y(f)}" stroke="#444"/><text x="${plot.left - 8}" y="${y(f) + 4}" text-anchor="end">${f * 100}%</text>`,
  );
  const days = timesMs.map((t, i) => ({ t, i })).filter(({ t }) => t % 86_400_000 === 0);
  const ticks = days.map(
    ({ t, i }) =>
      `<text x="${x(i)}" y="${plot.bottom + 18}" text-anchor="middle">${new Date(t).toISOString().slice(5, 10)}</text>`,
  );
  const legend = series.map(
    (s, k) =>
      `<rect x="780" y="${plot.top + k * 22}" width="12" height="12" fill="${color(s, k)}"/><text x="800" y="${plot.top + k * 22 + 11}">${escapeXml(s.name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Inter, Helvetica, Arial, sans-serif" font-size="12" fill="#ccccdc">`,
    `<rect width="${width}" height="${height}" fill="#181b1f"/>`,
    `<text x="${plot.left}" y="24" font-size="16" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${plot.left}" y="42" fill="#8e8e8e">${escapeXml(subtitle)}</text>`,
    ...grid,
    ...areas,
    ...ticks,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
