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
  // Wide enough for the longest legend entry (about 7 px a character at 12 px).
  const width = Math.max(960, 800 + 7 * Math.max(0, ...series.map((s) => s.name.length)) + 16);
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

/** A row of the "Top groups by name" table: the name Radar gives the group, its share now and change. */
export interface NamedShare {
  name: string;
  share: number;
  change: number | null;
}

/** A marker of the share map: where the place is (Radar's coordinates) and its share. */
export interface PlacedShare {
  name: string;
  latitude: number;
  longitude: number;
  share: number;
}

/**
 * The names panels as SVG text: the top groups table as bars with their names, and the map of shares
 * (markers on an equirectangular graticule; Grafana draws them on its basemap).
 */
export function namesSvg(
  title: string,
  subtitle: string,
  table: { title: string; rows: NamedShare[] },
  map: { title: string; places: PlacedShare[] },
): string {
  const width = 960;
  const height = 440;
  const top = 80;
  const maxShare = Math.max(1e-9, ...table.rows.map((r) => r.share));
  const bars = table.rows.slice(0, 12).flatMap((r, i) => {
    const y = top + i * 26;
    const w = (200 * r.share) / maxShare;
    const change = r.change === null ? '' : `${r.change >= 0 ? '+' : ''}${r.change.toFixed(1)}`;
    return [
      `<text x="24" y="${y + 13}">${escapeXml(r.name)}</text>`,
      `<rect x="200" y="${y + 2}" width="${w.toFixed(1)}" height="14" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${(206 + w).toFixed(1)}" y="${y + 13}">${r.share.toFixed(1)}%</text>`,
      `<text x="450" y="${y + 13}" text-anchor="end" fill="#8e8e8e">${change}</text>`,
    ];
  });
  const box = { left: 480, top, right: 936, bottom: top + 228 };
  const px = (lon: number) => box.left + ((lon + 180) / 360) * (box.right - box.left);
  const py = (lat: number) => box.top + ((90 - lat) / 180) * (box.bottom - box.top);
  const graticule = [-120, -60, 0, 60, 120]
    .map((lon) => `<line x1="${px(lon)}" x2="${px(lon)}" y1="${box.top}" y2="${box.bottom}" stroke="#333"/>`)
    .concat(
      [-60, -30, 0, 30, 60].map(
        (lat) => `<line x1="${box.left}" x2="${box.right}" y1="${py(lat)}" y2="${py(lat)}" stroke="#333"/>`,
      ),
    );
  const maxPlace = Math.max(1e-9, ...map.places.map((p) => p.share));
  const markers = map.places.flatMap((p) => {
    const r = 3 + 12 * Math.sqrt(p.share / maxPlace);
    return [
      `<circle cx="${px(p.longitude).toFixed(1)}" cy="${py(p.latitude).toFixed(1)}" r="${r.toFixed(1)}" fill="#73bf69" fill-opacity="0.55" stroke="#73bf69"/>`,
      `<text x="${px(p.longitude).toFixed(1)}" y="${(py(p.latitude) - r - 2).toFixed(1)}" text-anchor="middle" font-size="10">${escapeXml(p.name)}</text>`,
    ];
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Inter, Helvetica, Arial, sans-serif" font-size="12" fill="#ccccdc">`,
    `<rect width="${width}" height="${height}" fill="#181b1f"/>`,
    `<text x="24" y="24" font-size="16" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="24" y="42" fill="#8e8e8e">${escapeXml(subtitle)}</text>`,
    `<text x="24" y="66" font-weight="600">${escapeXml(table.title)}</text>`,
    `<text x="450" y="66" text-anchor="end" fill="#8e8e8e">change</text>`,
    ...bars,
    `<text x="${box.left}" y="66" font-weight="600">${escapeXml(map.title)}</text>`,
    `<rect x="${box.left}" y="${box.top}" width="${box.right - box.left}" height="${box.bottom - box.top}" fill="#111217" stroke="#444"/>`,
    ...graticule,
    ...markers,
    '</svg>',
    '',
  ].join('\n');
}
