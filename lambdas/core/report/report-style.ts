/**
 * The report's stylesheet, inlined (the page loads nothing). The page's Content-Security-Policy
 * allows this exact text by its hash, so it must stay a constant. Outcome colours: one class per
 * outcome (`o-created`, …) sets `--oc`, which the chart bars, outcome tags and total tiles all use.
 */
export const REPORT_STYLE = `
:root { color-scheme: light; --ink: #1f2933; --muted: #5f6b7a; --line: #dde3ea; --paper: #fff; --ground: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--ground); color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
p { margin: 0 0 8px; }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: #eef1f5; border-radius: 4px; padding: 1px 5px; }
.muted { color: var(--muted); }
section, header.run { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px; margin: 0 0 16px; }
header.run { border-left: 8px solid var(--status); }
.file { font-size: 17px; word-break: break-all; }
.status { display: inline-block; margin: 10px 0 12px; padding: 4px 12px; border-radius: 999px; color: #fff; background: var(--status); font-weight: 600; }
.s-complete { --status: #2e7d32; } .s-complete-failures { --status: #b26a00; } .s-planned { --status: #1565c0; } .s-held { --status: #e65100; }
.s-stopped { --status: #c62828; } .s-expired { --status: #616161; } .s-rejected { --status: #6d4c41; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
.attention { border-left: 8px solid var(--status); }
.attention ol { margin: 8px 0 0; padding-left: 22px; } .attention li { margin: 4px 0; }
ul.guards { list-style: none; padding: 0; margin: 8px 0 0; }
ul.guards li { padding: 6px 0; border-top: 1px solid var(--line); }
.verdict { display: inline-block; min-width: 64px; text-align: center; font-size: 12px; font-weight: 600; border-radius: 4px; padding: 1px 6px; margin-right: 8px; }
.verdict.held { background: #ffe0b2; color: #8a3500; } .verdict.passed { background: #dcedc8; color: #2e5d13; }
.overview { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 16px; }
@media (max-width: 900px) { .overview { grid-template-columns: minmax(0, 1fr); } }
.totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 10px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.tile .count { display: block; font-size: 26px; font-weight: 700; line-height: 1.2; }
.tile .what { color: var(--muted); }
.tile.outcome { border-top: 5px solid var(--oc); }
.chart rect { fill: var(--oc); }
.chart .bar-label { font-size: 13px; fill: var(--ink); } .chart .bar-value { font-size: 13px; fill: var(--muted); }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { position: sticky; top: 0; background: #e9edf2; white-space: nowrap; }
th > button { all: unset; cursor: pointer; font-weight: 600; }
th > button:focus-visible { outline: 2px solid #1565c0; outline-offset: 2px; }
th[data-sort] > button::after { content: " ↕"; color: var(--muted); }
th[aria-sort="ascending"] > button::after { content: " ▲"; color: var(--ink); }
th[aria-sort="descending"] > button::after { content: " ▼"; color: var(--ink); }
tbody tr:nth-child(even) { background: #f8fafc; }
td.num { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.login { min-width: 11em; overflow-wrap: anywhere; font-weight: 600; }
.tag { display: inline-block; padding: 0 8px; border-radius: 4px; color: #fff; background: var(--oc); font-size: 13px; font-weight: 600; white-space: nowrap; }
ul.plain { list-style: none; margin: 0; padding: 0; } ul.plain li + li { margin-top: 2px; }
.field { color: var(--muted); } .before { color: #8a1c1c; } .unset { color: var(--muted); font-style: italic; } .after { color: #1b5e20; font-weight: 600; } .arrow { color: var(--muted); padding: 0 4px; }
.warning { color: #8a5a00; }
.cap { margin: 10px 0 0; padding: 6px 10px; background: #fff8e1; border-radius: 4px; }
footer { color: var(--muted); font-size: 13px; padding: 4px 2px 24px; }
.o-created { --oc: #2e7d32; }
.o-updated { --oc: #1565c0; }
.o-deactivated { --oc: #5d4037; }
.o-reactivated { --oc: #00838f; }
.o-unchanged { --oc: #78909c; }
.o-applied { --oc: #3949ab; }
.o-submitted { --oc: #7e57c2; }
.o-held { --oc: #e65100; }
.o-skipped { --oc: #a66f00; }
.o-rejected { --oc: #c62828; }
.o-failed { --oc: #ad1457; }
@media print { body { background: #fff; } section, header.run { break-inside: avoid; } th { position: static; } }
`;
