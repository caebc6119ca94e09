/**
 * The report's stylesheet, inlined into the HTML: system fonts only (no web
 * fonts, nothing fetched), screen and A4 print.
 */
export const REPORT_CSS = `
:root {
  --page: #f3f5f8;
  --panel: #ffffff;
  --text: #18212c;
  --muted: #5b6573;
  --faint: #8a94a2;
  --border: #e2e6ec;
  --rule: #eef1f5;
  --accent: #0f766e;
  --accent-weak: #e6f4f2;
  --good: #15803d;
  --good-weak: #e8f6ed;
  --warn: #b45309;
  --bad: #be123c;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  font-family: var(--sans);
  font-size: 14px;
  line-height: 1.45;
  color: var(--text);
  background: var(--page);
  -webkit-font-smoothing: antialiased;
  -webkit-print-color-adjust: exact;
  print-color-adjust: exact;
}
h1, h2, h3, h4 { margin: 0; font-weight: 650; letter-spacing: -0.01em; }
p { margin: 0; }
code, .id { font-family: var(--mono); font-size: 0.86em; }
.num { font-variant-numeric: tabular-nums; text-align: right; white-space: nowrap; }
.muted { color: var(--muted); }
.faint { color: var(--faint); }

/* ---- header ---- */
.report-header { background: #0f1c2b; color: #e9eef4; padding: 28px 0 26px; }
.wrap { max-width: 1180px; margin: 0 auto; padding: 0 32px; }
.brand { display: flex; align-items: center; gap: 10px; font-size: 13px; letter-spacing: 0.08em; text-transform: uppercase; color: #9fb3c8; font-weight: 600; }
.brand svg { width: 22px; height: 22px; flex: none; }
.report-header h1 { font-size: 28px; margin: 10px 0 4px; color: #fff; }
.report-header .lede { color: #b8c6d6; font-size: 14.5px; }
.meta { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 18px 28px; margin: 22px 0 0; padding: 18px 0 0; border-top: 1px solid #27384c; }
.meta dt { font-size: 11px; text-transform: uppercase; letter-spacing: 0.08em; color: #8ea3b9; font-weight: 650; margin-bottom: 3px; }
.meta dd { margin: 0; color: #f2f5f8; font-size: 14px; }
.meta dd small { display: block; color: #a9b8c8; font-size: 12.5px; margin-top: 2px; }
.meta code { color: #f2f5f8; }

/* ---- tabs ---- */
.tabs { position: sticky; top: 0; z-index: 5; background: var(--panel); border-bottom: 1px solid var(--border); }
.tabs .wrap { display: flex; gap: 4px; overflow-x: auto; }
.tab { appearance: none; border: 0; background: none; font: inherit; color: var(--muted); padding: 13px 14px 11px; border-bottom: 2px solid transparent; cursor: pointer; white-space: nowrap; font-weight: 550; }
.tab:hover { color: var(--text); }
.tab[aria-selected="true"] { color: var(--accent); border-bottom-color: var(--accent); }
.tab .count { color: var(--faint); font-weight: 500; margin-left: 6px; font-size: 12.5px; }
.js .workflow[data-active="false"] { display: none; }

/* ---- workflow ---- */
main { padding: 28px 0 12px; }
.workflow { margin-bottom: 40px; }
.workflow-head { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px; margin-bottom: 16px; }
.workflow-head h2 { font-size: 22px; }
.workflow-head .sub { color: var(--muted); font-size: 13px; margin-top: 3px; }
.workflow-head .days { color: var(--muted); font-size: 13px; text-align: right; white-space: nowrap; }
.description { color: var(--muted); max-width: 78ch; margin: -6px 0 18px; }

.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
.kpi { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 13px 15px 12px; }
.kpi-label { font-size: 11.5px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); font-weight: 650; }
.kpi-value { font-size: 25px; font-weight: 650; letter-spacing: -0.02em; margin-top: 3px; font-variant-numeric: tabular-nums; }
.kpi-note { font-size: 12.5px; color: var(--muted); }
.kpi.good .kpi-value { color: var(--good); }

.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 18px 20px 20px; margin-bottom: 16px; }
.panel-head { display: flex; justify-content: space-between; align-items: baseline; gap: 16px; margin-bottom: 14px; }
.panel h3 { font-size: 15.5px; }
.panel-head .hint { color: var(--faint); font-size: 12.5px; }
.grid-3 { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; }
.grid-3 > .panel { margin-bottom: 16px; }
.empty { color: var(--muted); font-size: 13.5px; padding: 6px 0; }

/* ---- funnel ---- */
.funnel { display: grid; grid-template-columns: minmax(120px, 170px) minmax(0, 1fr) 78px 104px; column-gap: 16px; align-items: center; }
.funnel-head { font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--faint); font-weight: 650; padding-bottom: 6px; border-bottom: 1px solid var(--rule); margin-bottom: 4px; }
.funnel-row { display: contents; }
.funnel-row > * { padding: 8px 0 2px; }
.stage-name { display: flex; align-items: center; gap: 9px; font-weight: 600; min-width: 0; }
.stage-name span:last-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.stage-index { flex: none; width: 22px; height: 22px; border-radius: 50%; display: inline-flex; align-items: center; justify-content: center; font-size: 11.5px; font-weight: 700; }
.bar-track { height: 22px; border-radius: 5px; background: #f1f3f6; position: relative; overflow: hidden; }
.bar { position: absolute; inset: 0 auto 0 0; border-radius: 5px; min-width: 2px; }
.bar.zero { min-width: 0; }
.funnel .entered { font-size: 16px; font-weight: 650; }
.funnel .time { color: var(--muted); font-size: 13px; text-align: right; white-space: nowrap; }
.funnel-step { grid-column: 2 / 5; display: flex; gap: 14px; align-items: center; font-size: 12.5px; color: var(--muted); padding: 1px 0 5px; }
.funnel-step .arrow { color: var(--faint); }
.funnel-step .conv { color: var(--good); font-weight: 650; }
.funnel-step .drop { color: var(--bad); font-weight: 600; }
.funnel-step .drop-bar { flex: 0 0 90px; height: 5px; border-radius: 3px; background: #f1f3f6; position: relative; overflow: hidden; }
.funnel-step .drop-bar i { position: absolute; inset: 0 auto 0 0; background: #f1a6b5; }

/* ---- tables ---- */
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 8px 8px; border-bottom: 1px solid var(--rule); vertical-align: middle; }
thead th { font-size: 10.5px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); font-weight: 650; border-bottom: 1px solid var(--border); text-align: right; white-space: nowrap; }
thead th:first-child { text-align: left; }
tbody th { text-align: left; font-weight: 600; min-width: 190px; }
tbody th .detail { display: block; font-weight: 400; color: var(--muted); font-size: 12px; margin-top: 1px; }
tbody th .id { font-size: 11.5px; color: var(--faint); }
tfoot td, tfoot th { border-bottom: 0; border-top: 1px solid var(--border); font-weight: 650; text-align: right; }
tfoot th { text-align: left; }
td.zero { color: #b3bbc6; }
td.rate { font-weight: 600; }
.rate-cell { display: inline-flex; align-items: center; gap: 7px; justify-content: flex-end; }
.mini-bar { width: 42px; height: 5px; border-radius: 3px; background: #edf0f4; position: relative; overflow: hidden; display: inline-block; }
.mini-bar i { position: absolute; inset: 0 auto 0 0; background: var(--accent); }
.group-start { border-left: 1px solid var(--rule); }

/* ---- outcomes ---- */
.big-number { font-size: 30px; font-weight: 650; letter-spacing: -0.02em; font-variant-numeric: tabular-nums; }
.facts { margin: 12px 0 0; display: grid; grid-template-columns: 1fr auto; gap: 7px 12px; font-size: 13px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; text-align: right; font-weight: 600; font-variant-numeric: tabular-nums; }
.stack { display: flex; height: 12px; border-radius: 6px; overflow: hidden; background: #f1f3f6; margin: 2px 0 12px; }
.stack i { display: block; height: 100%; }
.legend { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; font-size: 13px; }
.legend li { display: grid; grid-template-columns: 12px 1fr auto 52px; gap: 8px; align-items: center; }
.swatch { width: 10px; height: 10px; border-radius: 3px; display: inline-block; }
.legend .share { color: var(--faint); text-align: right; font-variant-numeric: tabular-nums; }
.legend .count { text-align: right; font-weight: 600; font-variant-numeric: tabular-nums; }
.hbars { display: grid; gap: 9px; font-size: 13px; }
.hbars > div { min-width: 0; }
.hbar-label { display: flex; justify-content: space-between; gap: 10px; margin-bottom: 3px; }
.hbar-label span:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.hbar-label .count { font-weight: 600; font-variant-numeric: tabular-nums; white-space: nowrap; }
.hbar-label .share { color: var(--faint); font-weight: 400; margin-left: 6px; }
.hbar { height: 7px; border-radius: 4px; background: #f1f3f6; overflow: hidden; }
.hbar i { display: block; height: 100%; background: #3b82a6; border-radius: 4px; }

/* ---- graph ---- */
.graph-scroll { overflow: auto; border: 1px solid var(--rule); border-radius: 8px; background: #fbfcfd; }
.graph-scroll svg { display: block; }
.graph-print { display: none; }
.graph-legend { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 12px; color: var(--muted); margin-top: 10px; }
.graph-legend span { display: inline-flex; align-items: center; gap: 6px; }
.graph-legend .line { width: 22px; height: 0; border-top: 2px solid #94a3b8; display: inline-block; }
.graph-legend .line.timeout { border-top: 2px dashed #d08a2c; }
.graph-legend .line.event { border-top-color: #0f766e; }
.graph-legend .line.goal { border-top: 2px dashed #15803d; }
.assumptions-grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.4fr); gap: 28px; align-items: start; }
.assumptions .facts { margin-top: 0; }
.kinds-title { font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); font-weight: 650; margin-bottom: 6px; }
.kinds { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0 24px; font-size: 12.5px; }
.kinds li { display: flex; justify-content: space-between; gap: 10px; padding: 4px 0; border-bottom: 1px solid var(--rule); }
.kinds li span:first-child { font-weight: 600; }

/* ---- trends, experiments, revenue ---- */
.trend-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px 18px; }
.trend-grid svg { display: block; width: 100%; height: auto; font-family: inherit; }
.experiment + .experiment { margin-top: 18px; padding-top: 14px; border-top: 1px solid var(--rule); }
.experiment-head { margin-bottom: 6px; font-size: 13.5px; }
.experiment-table td.ci-text { white-space: nowrap; color: var(--muted); }
.experiment-table .ci-cell { width: 28%; min-width: 110px; }
.ci-bar { display: block; position: relative; height: 12px; background: #f1f3f6; border-radius: 6px; }
.ci-bar .ci { position: absolute; top: 3px; height: 6px; border-radius: 3px; background: #93c5fd; }
.ci-bar .point { position: absolute; top: 1px; width: 3px; height: 10px; margin-left: -1.5px; border-radius: 1px; background: #1d4ed8; }
.verdict { margin: 8px 0 0; font-size: 13px; padding: 7px 10px; border-radius: 6px; background: #f8fafc; border-left: 3px solid #94a3b8; }
.verdict-better { border-left-color: var(--good); background: #f0fdf4; }
.verdict-worse { border-left-color: var(--bad); background: #fef2f2; }
.facts.inline { display: flex; flex-wrap: wrap; gap: 4px 10px; margin: 0 0 10px; }
.facts.inline dd { margin-right: 14px; }
.small { font-size: 12px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

footer { color: var(--faint); font-size: 12px; padding: 8px 0 36px; }

@media screen and (max-width: 960px) {
  .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  .grid-3 { grid-template-columns: 1fr; }
  .meta { grid-template-columns: 1fr; }
}

/* ---- print: A4, every workflow, the graph in page-wide slices ---- */
@page { size: A4; margin: 13mm 11mm 14mm; }
@media print {
  body { background: #fff; font-size: 10pt; }
  .wrap { max-width: none; padding: 0; }
  .report-header { background: #fff; color: var(--text); padding: 0 0 10px; border-bottom: 2px solid var(--text); }
  .report-header h1 { color: var(--text); font-size: 20pt; margin-top: 6px; }
  .report-header .lede, .brand { color: var(--muted); }
  .brand svg circle { fill: var(--accent); }
  .meta { border-top-color: var(--border); margin-top: 12px; padding-top: 10px; gap: 8px 20px; }
  .meta dt { color: var(--muted); }
  .meta dd, .meta code { color: var(--text); font-size: 9.5pt; }
  .meta dd small { color: var(--muted); font-size: 8.5pt; }
  .tabs { display: none; }
  .js .workflow[data-active="false"] { display: block; }
  main { padding: 14px 0 0; }
  .workflow { margin: 0; }
  .workflow + .workflow { break-before: page; }
  .workflow-head { break-after: avoid; }
  .kpis { grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 6px; }
  .kpi { padding: 8px 9px; border-radius: 6px; }
  .kpi-label { font-size: 7pt; }
  .kpi-value { font-size: 15pt; }
  .kpi-note { font-size: 7.5pt; }
  .panel { border-radius: 6px; padding: 11px 12px 12px; margin-bottom: 10px; break-inside: avoid; }
  .panel.graph { break-inside: auto; }
  .panel h3 { font-size: 11pt; }
  .grid-3 { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; }
  .grid-3 > .panel { margin-bottom: 10px; }
  .table-scroll { overflow: visible; }
  table { font-size: 8pt; }
  th, td { padding: 4px 3px; }
  thead th { font-size: 6pt; letter-spacing: 0.02em; }
  tbody th { min-width: 0; }
  tbody th .summary, tbody th .sep { display: none; }
  tbody th .detail { font-size: 7pt; }
  .legend { font-size: 8.5pt; gap: 4px; }
  .legend li { grid-template-columns: 9px 1fr auto 36px; gap: 5px; }
  .hbars { font-size: 8.5pt; }
  .facts { font-size: 8.5pt; }
  .panel-head .hint { font-size: 7.5pt; }
  .grid-3 .panel-head .hint, .screen-only { display: none; }
  .mini-bar { display: none; }
  .big-number { font-size: 20pt; }
  .funnel { grid-template-columns: 132px minmax(0, 1fr) 56px 64px; column-gap: 10px; }
  .funnel-step { font-size: 8pt; gap: 8px; }
  .funnel .entered { font-size: 11pt; }
  .funnel .time { font-size: 8.5pt; }
  .trend-grid { grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px 12px; }
  .experiment-table .ci-cell { min-width: 0; width: 22%; }
  .verdict { font-size: 8.5pt; padding: 4px 7px; }
  .graph-scroll { position: absolute; width: 0; height: 0; overflow: hidden; border: 0; }
  .graph-print { display: block; }
  .graph-slice { display: block; max-width: 100%; height: auto; margin-bottom: 8px; border: 1px solid var(--rule); break-inside: avoid; }
  footer { padding-top: 12px; }
}
`;
