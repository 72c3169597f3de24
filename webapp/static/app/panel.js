/* diaban map page: the commune table, the charts and the side panel of one commune. */

import { el, fmt } from "./util.js";

export function createPanel(ctx, themes, overlays) {
  const { T, COLOURS, state, config, map } = ctx;
  const { statusOf, currentHotspots, legendRows, snapshotText, provisionalText } = themes;

  /* ---------- table ---------- */

  function tableRows() {
    const hs = currentHotspots();
    return state.series.visible.map((code) => ({
      code, name: ctx.names[code].name, district: ctx.names[code].district_name || "", status: statusOf(code),
      incidents: state.series.incidents[code][state.index], inspections: state.series.inspections[code][state.index],
      hotspot: hs ? hs.classes[code] : "",
    }));
  }

  function renderTable() {
    const { key, desc } = state.sort;
    const rows = tableRows().sort((a, b) => {
      const x = a[key], y = b[key];
      const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), ctx.locale);
      return desc ? -order : order;
    });
    const family = state.mode === "emerging" ? "emerging" : "gi";
    document.querySelector("#commune-table tbody").replaceChildren(...rows.map((r) => el("tr", {
      "data-code": r.code, className: r.code === state.selected ? "selected" : "",
      onclick: () => selectCommune(r.code, true),
    }, el("td", {}, r.name), el("td", {}, r.code), el("td", {}, r.district),
    el("td", {}, ctx.swatch(COLOURS.status[r.status]), ctx.label("status", r.status)),
    el("td", { className: "text-end" }, ctx.num(r.incidents, 0)),
    el("td", { className: "text-end" }, ctx.num(r.inspections, 0)),
    el("td", {}, r.hotspot ? ctx.label(family, r.hotspot) : ""))));
  }

  document.querySelectorAll("#commune-table th[data-sort]").forEach((th) => th.addEventListener("click", () => {
    const key = th.dataset.sort;
    state.sort = { key, desc: state.sort.key === key ? !state.sort.desc : ["incidents", "inspections"].includes(key) };
    renderTable();
  }));

  /* ---------- charts ---------- */

  function totals(family) {
    const codes = state.series.visible;
    return state.series.periods.map((_, i) => codes.reduce((sum, c) => sum + state.series[family][c][i], 0));
  }

  const barColours = (n) => Array.from({ length: n }, (_, i) => (i === state.index ? "#bd0026" : "#fd8d3c"));

  function countsChart(canvas, incidents, inspections) {
    if (!window.Chart) return null;
    return new window.Chart(canvas, {
      type: "bar",
      data: { labels: state.series.periods, datasets: [
        { type: "bar", label: T.incidents, data: incidents, backgroundColor: barColours(incidents.length), yAxisID: "y" },
        { type: "line", label: T.inspections, data: inspections, borderColor: "#2c7bb6", backgroundColor: "#2c7bb6",
          pointRadius: 2, yAxisID: "y1" }] },
      options: { animation: false, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
        onClick: (_, elements) => { if (elements.length) ctx.actions.setIndex(elements[0].index); },
        scales: { y: { beginAtZero: true, title: { display: true, text: T.incidents } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
            title: { display: true, text: T.inspections } } } },
    });
  }

  function renderCharts() {
    const incidents = totals("incidents"), inspections = totals("inspections");
    const chart = state.charts.totals;
    if (chart) {
      chart.data.labels = state.series.periods;
      chart.data.datasets[0].data = incidents;
      chart.data.datasets[0].backgroundColor = barColours(incidents.length);
      chart.data.datasets[1].data = inspections;
      chart.update();
    } else {
      state.charts.totals = countsChart(document.getElementById("chart-totals"), incidents, inspections);
    }
    if (state.charts.commune) {
      state.charts.commune.data.datasets[0].backgroundColor = barColours(state.series.periods.length);
      state.charts.commune.update();
    }
    const counts = {};
    state.series.visible.forEach((c) => { const s = statusOf(c); counts[s] = (counts[s] || 0) + 1; });
    document.getElementById("status-summary").replaceChildren(
      ...legendRows(config.order.status.map((s) => [COLOURS.status[s], `${ctx.label("status", s)}: ${counts[s] || 0}`])),
      el("div", { className: "small text-muted" }, snapshotText()));
  }

  /* ---------- the side panel ---------- */

  function evidenceText(kind, r) {
    const label = ctx.label;
    switch (kind) {
      case "site": return `#${r.id} ${label("site_kind", r.site_kind)} — ${label("site_event", r.last_event)} ${r.last_event_date || ""}`;
      case "inspection": return `${r.inspection_date} · ${label("etype", r.establishment_type)} · `
        + `${label("outcome", r.outcome)} · ${r.establishment_name || `#${r.establishment_id}`}`;
      case "establishment": return `${r.establishment_name || `#${r.id}`} · ${label("etype", r.establishment_type)} · `
        + `${T.map_commitment}: ${r.commitment_signed ? T.map_yes : T.map_no}`;
      case "report": return `${r.period} · ${r.indicator_code} = ${ctx.num(r.value)}`;
      case "assessment": return `${r.criterion_id} ${r.period}: ${r.holds ? T.map_pass : T.map_fail} — `
        + `${r.assessed_by}, ${String(r.assessed_at).slice(0, 10)}`;
      default: return `#${r.id}`;
    }
  }

  function evidenceCell(ev) {
    const what = `${ev.count} ${T[`map_evidence_${ev.kind || "none"}`]}`;
    if (!ev.records || !ev.count) return el("td", { className: "evidence" }, what);
    const more = ev.count - ev.records.length;
    return el("td", { className: "evidence" }, el("details", {}, el("summary", {}, what),
      el("ul", {}, ev.records.map((r) => el("li", {}, evidenceText(ev.kind, r))),
        more > 0 ? el("li", {}, fmt(T.map_more, { n: more })) : null)));
  }

  function resultText(c) {
    if (c.value === null) return T.map_missing;
    return c.passed ? `✓ ${T.map_pass}` : `✗ ${T.map_fail}`;
  }

  function attestLink(d) {
    if (!config.api.attest) return null;
    const href = `${config.api.attest.replace("CODE", encodeURIComponent(d.commune_code))}?period=${encodeURIComponent(d.period)}`;
    return el("a", { href, className: "attest-link small d-block" }, T.map_attest);
  }

  function criteriaTable(criteria, d) {
    const head = [T.map_criterion, T.map_value, T.map_threshold, T.map_result, T.map_evidence];
    return el("table", { className: "table table-sm criteria", id: "criteria-table" },
      el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
      el("tbody", {}, criteria.map((c) => el("tr", { "data-criterion": c.id },
        el("td", {}, el("b", {}, c.id), c.text ? el("div", { className: "small" }, c.text) : null),
        el("td", {}, ctx.num(c.value, 3)),
        el("td", {}, c.comparison ? `${c.comparison} ${ctx.num(c.threshold, 3)}` : (c.rule_kind || ""),
          c.rule_kind === "attested" ? attestLink(d) : null),
        el("td", { className: c.value === null ? "" : (c.passed ? "pass" : "fail") }, resultText(c)),
        evidenceCell(c.evidence)))));
  }

  function sitesBlock(sites) {
    if (!sites) return null;
    return el("div", { className: "sites-list", id: "panel-sites" }, el("h3", { className: "h6 mt-3" }, T.map_sites_here),
      sites.length ? el("ul", {}, sites.map((s) => el("li", {},
        el("b", {}, `#${s.site_id}`), ` ${ctx.label("site_kind", s.site_kind)} — ${ctx.label("site_status", s.status)}`,
        overlays.historyList(s.history)))) : el("p", { className: "small" }, T.map_no_sites));
  }

  function statusBlock(d) {
    const c = d.classification || d.provisional;
    if (!c) return el("div", { className: "my-2", id: "panel-status" }, fmt(T.map_no_snapshot, { period: d.period }));
    const source = d.classification ? fmt(T.map_snapshot, { id: c.id, ruleset: c.ruleset_id,
      version: c.ruleset_version, convention: c.convention, as_of: c.data_as_of.slice(0, 16).replace("T", " ") })
      : provisionalText(c);
    return el("div", { className: "my-2", id: "panel-status", "data-stored": d.classification ? "1" : "0" },
      el("span", { className: "status-badge", style: { background: COLOURS.status[c.status] } }, ctx.label("status", c.status)),
      d.classification ? null : el("span", { className: "badge text-bg-warning ms-1" }, T.map_provisional),
      ` ${T.map_score}: ${ctx.num(c.score, 1)}`,
      el("div", { className: "small text-muted" }, source));
  }

  function missingBlock(d) {  // what the commune lacks now, and what to load (webapp.period_status)
    const stale = d.classification && d.classification.status === "not_assessed" && !(d.missing || []).length;
    if (stale) return el("p", { className: "small", id: "panel-missing" }, T.map_missing_rerun);
    if (!(d.missing || []).length) return "";  // replaceChildren would print null
    return el("div", { className: "missing-list", id: "panel-missing" },
      el("h3", { className: "h6 mt-2" }, T.map_missing_title),
      el("ul", { className: "small" }, d.missing.map((m) => el("li", { "data-criterion": m.criterion_id }, m.what_to_load))));
  }

  /* The proposal (đề xuất, computed) next to the committee's decision (công nhận) of the period's year. */
  function recognitionBlock(r) {
    if (!r || !r.text) return null;
    const L = r.text, p = r.proposal, d = r.decision;
    const proposal = p ? [el("span", { className: "status-badge", style: { background: COLOURS.status[p.status] } },
      ctx.label("status", p.status)), ` ${T.map_score}: ${ctx.num(p.score, 1)} (#${p.snapshot_id}, ${p.period})`] : [L.no_proposal];
    const decision = d ? [el("b", { id: "panel-decision-verdict" }, d.recognised ? L.recognised : L.not_recognised),
      ` — ${L.number} ${d.decision_number}, ${L.date} ${d.decision_date}, ${L.by}: ${d.decided_by}`,
      d.snapshot_id ? ` (${L.snapshot} #${d.snapshot_id})` : ""] : [L.undecided];
    return el("div", { className: "my-2 small", id: "panel-recognition", "data-year": r.year },
      el("div", { id: "panel-proposal" }, el("b", {}, `${L.proposal} ${r.year}: `), ...proposal),
      el("div", { id: "panel-decision", "data-decision": d ? String(d.recognised) : "" },
        el("b", {}, `${L.decision} ${r.year}: `), ...decision));
  }

  function renderPanel(d) {
    const panel = document.getElementById("panel-commune");
    const canvas = el("canvas", { id: "chart-commune" });
    panel.replaceChildren(
      el("div", { className: "panel-head" }, el("h2", { className: "h5", id: "panel-title" }, d.name),
        el("button", { type: "button", className: "btn-close", title: T.map_close, "aria-label": T.map_close, onclick: closePanel })),
      el("div", { className: "small" }, `${T.code}: ${d.commune_code}`,
        d.district_name ? ` · ${T.district}: ${d.district_name}` : "", ` · ${T.period}: ${d.period}`),
      statusBlock(d),
      recognitionBlock(d.recognition),
      missingBlock(d),
      (d.classification || d.provisional) ? criteriaTable((d.classification || d.provisional).criteria, d) : null,
      el("h3", { className: "h6 mt-2" }, T.map_counts_over_time),
      el("div", { className: "chart-box" }, canvas),
      sitesBlock(d.sites));
    if (state.charts.commune) state.charts.commune.destroy();
    state.charts.commune = countsChart(canvas, state.series.incidents[d.commune_code], state.series.inspections[d.commune_code]);
    panel.hidden = false;
    document.getElementById("panel-summary").hidden = true;
  }

  let panelRequest = 0;
  async function loadPanel() {
    if (!state.selected) return;
    const mine = ++panelRequest;
    const url = `${config.api.commune.replace("CODE", encodeURIComponent(state.selected))}?${ctx.params({})}`;
    try {
      const data = await ctx.load(url, ctx.names[state.selected].name);
      if (mine === panelRequest) renderPanel(data);
    } catch (err) { /* shown in the status line */ }
  }

  function selectCommune(code, zoom) {
    state.selected = code;
    ctx.actions.restyle();
    renderTable();
    const layer = ctx.communeLayers[code];
    if (zoom && layer) map.fitBounds(layer.getBounds(), { maxZoom: 12 });
    document.querySelector(`#commune-table tr[data-code="${CSS.escape(code)}"]`)?.scrollIntoView({ block: "nearest" });
    loadPanel();
  }

  function closePanel() {
    state.selected = null;
    document.getElementById("panel-commune").hidden = true;
    document.getElementById("panel-summary").hidden = false;
    ctx.actions.restyle();
    renderTable();
  }

  return { renderTable, renderCharts, loadPanel, selectCommune };
}
