/** A confusion matrix as an SVG picture: rows are true labels, columns predictions, shaded by row share. */

const escape = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

export function confusionSvg(
  title: string,
  labels: readonly string[],
  confusion: readonly number[][],
): string {
  const cell = 56;
  const labelWidth = Math.max(90, ...labels.map((label) => label.length * 7 + 16));
  const top = 40 + labelWidth;
  const left = labelWidth + 24;
  const width = Math.max(left + cell * labels.length + 20, title.length * 8 + 24);
  const height = top + cell * labels.length + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<text x="12" y="${top - 8}" font-style="italic">true \\ predicted</text>`,
  ];
  labels.forEach((label, i) => {
    const x = left + i * cell + cell / 2;
    parts.push(
      `<text transform="translate(${x},${top - 8}) rotate(-60)" text-anchor="start">${escape(label)}</text>`,
      `<text x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${escape(label)}</text>`,
    );
  });
  confusion.forEach((row, i) => {
    const total = row.reduce((sum, n) => sum + n, 0);
    row.forEach((count, j) => {
      const share = total === 0 ? 0 : count / total;
      const shade = Math.round(255 - share * 200);
      const fill =
        i === j
          ? `rgb(${shade},${Math.min(255, shade + 40)},${shade})`
          : `rgb(255,${shade},${shade})`;
      const x = left + j * cell;
      const y = top + i * cell;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#999"/>`,
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${share > 0.6 ? 'white' : 'black'}">${count}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}
