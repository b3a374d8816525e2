/**
 * The outcome chart: an inline SVG, one horizontal bar per outcome that occurred, longest = most.
 * Inline and hand-drawn so the report needs no chart library and loads nothing; colours come from
 * the page's stylesheet (class `o-<outcome>`), the same as the totals'.
 */
import { OUTCOMES, type Totals } from '../model';
import { formatCount, html, type SafeHtml } from './html';

const LABEL_WIDTH = 100;
const BAR_SPACE = 320;
const WIDTH = 520;
const BAR_HEIGHT = 20;
const PITCH = 28;
/** A bar for 1 of 500,000 would be invisible: every bar is at least this wide. */
const MIN_BAR = 3;

function percent(count: number, all: number): string {
  const share = (100 * count) / all;
  return share < 1 ? '<1%' : `${Math.round(share)}%`;
}

export function outcomeChartSvg(totals: Totals): SafeHtml {
  const present = OUTCOMES.filter((o) => totals[o] > 0);
  if (present.length === 0) return html`<p class="muted">No rows: nothing to chart.</p>`;
  const all = present.reduce((sum, o) => sum + totals[o], 0);
  const most = Math.max(...present.map((o) => totals[o]));
  const height = present.length * PITCH + 4;
  const summary = present.map((o) => `${formatCount(totals[o])} ${o}`).join(', ');
  const bars = present.map((outcome, i) => {
    const y = 2 + i * PITCH;
    const width = Math.max(MIN_BAR, Math.round((BAR_SPACE * totals[outcome]) / most));
    const textY = y + BAR_HEIGHT / 2 + 5;
    return html`<g class="bar" data-outcome="${outcome}">
<text class="bar-label" x="${LABEL_WIDTH - 10}" y="${textY}" text-anchor="end">${outcome}</text>
<rect class="o-${outcome}" x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR_HEIGHT}" rx="3"><title>${outcome}: ${formatCount(totals[outcome])}</title></rect>
<text class="bar-value" x="${LABEL_WIDTH + width + 8}" y="${textY}">${formatCount(totals[outcome])} · ${percent(totals[outcome], all)}</text>
</g>`;
  });
  return html`<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="Outcomes: ${summary}">
${bars}
</svg>`;
}
