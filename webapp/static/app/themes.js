/* diaban map page: how each thematic layer colours the communes, and its legend. */

import { el, fmt } from "./util.js";

export function createThemes(ctx) {
  const { T, COLOURS, state, config } = ctx;

  function countColour(value, breaks) {  // the rule of webapp.maps.colour_for
    if (!(value > 0) || !breaks.length) return COLOURS.zero;
    let i = breaks.findIndex((b) => b >= value);
    if (i < 0) i = breaks.length - 1;
    return COLOURS.counts[COLOURS.counts.length - breaks.length + i];
  }

  function statusOf(code) {
    const snap = state.series.status[ctx.period()];
    return snap ? (snap.codes[code] || "not_assessed") : "not_assessed";
  }

  function hotspotUrl(method, unit) {
    return `${config.api.hotspots}?${ctx.params({ method, unit, fdr: state.fdr ? "true" : "false" })}`;
  }

  function currentHotspots() {
    if (state.mode !== "gi" && state.mode !== "emerging") return null;
    const payload = state.hotspots[hotspotUrl(state.mode, "commune")];
    return payload && !(payload instanceof Promise) ? payload : null;
  }

  function valueOf(code) {
    if (state.mode === "counts") return state.series.incidents[code][state.index];
    if (state.mode === "status") return statusOf(code);
    const hs = currentHotspots();
    return hs ? hs.classes[code] : null;
  }

  function fillOf(code) {
    const value = valueOf(code);
    if (state.mode === "counts") return countColour(value, state.series.incident_breaks);
    if (state.mode === "status") return COLOURS.status[value];
    if (value === null || value === undefined) return "#ffffff";
    return COLOURS[state.mode === "gi" ? "gi" : "emerging"][value] || "#bdbdbd";
  }

  function describe(code) {
    const value = valueOf(code);
    if (state.mode === "counts") return `${T.incidents}: ${ctx.num(value, 0)}`;
    if (state.mode === "status") return `${T.map_status}: ${ctx.label("status", value)}`;
    if (value === null || value === undefined) return T.map_loading;
    return `${T.map_class}: ${ctx.label(state.mode === "gi" ? "gi" : "emerging", value)}`;
  }

  function provisionalText(p) {  // a status computed now and not stored (webapp.period_status)
    return `${T.map_provisional}. ${fmt(T.map_provisional_note, { ruleset: p.ruleset_id, version: p.ruleset_version,
      as_of: p.data_as_of.slice(0, 16).replace("T", " ") })}`;
  }

  function snapshotText() {
    const snap = state.series.status[ctx.period()];
    if (!snap) return fmt(T.map_no_snapshot, { period: ctx.period() });
    if (!snap.snapshot) return provisionalText(snap.provisional);
    const s = snap.snapshot;
    return fmt(T.map_snapshot, { id: s.id, ruleset: s.ruleset_id, version: s.ruleset_version,
      convention: s.convention, as_of: s.data_as_of.slice(0, 16).replace("T", " ") });
  }

  function paramsText(p) {
    if (!p) return "";
    const steps = p.steps ? `${p.steps.length} ${T.map_p_steps} (${p.steps[0]}–${p.steps[p.steps.length - 1]})` : null;
    const parts = [p.method, p.weights,
      p.cell_size_m ? `${T.map_p_cell} ${ctx.num(p.cell_size_m, 0)} m` : null,
      p.permutations ? `${p.permutations} ${T.map_p_permutations}, seed ${p.seed}` : null,
      p.alpha ? `α = ${p.alpha}` : null, p.fdr === null ? null : `FDR: ${p.fdr ? T.map_yes : T.map_no}`,
      steps, p.time_lag ? `${T.map_p_lag} ${p.time_lag}` : null,
      p.bandwidth_m ? `${T.map_p_bandwidth} ${ctx.num(p.bandwidth_m, 0)} m (${p.kernel})` : null];
    return parts.filter(Boolean).join(", ");
  }

  function legendRows(items) {
    return items.map(([colour, text]) => el("div", { className: "legend-row" }, ctx.swatch(colour), text));
  }

  function fdrToggle() {
    return el("label", { className: "legend-fdr" },
      el("input", { type: "checkbox", id: "fdr-toggle", checked: state.fdr, onchange: (e) => {
        state.fdr = e.target.checked;
        ctx.actions.setMode(state.mode);
        ctx.actions.refreshOverlay("grid");
      } }), " ", T.map_fdr);
  }

  function provisionalBadge() {
    const snap = state.series.status[ctx.period()];
    if (state.mode !== "status" || !snap || snap.snapshot) return null;
    return el("span", { className: "badge text-bg-warning ms-1", id: "legend-provisional" }, T.map_provisional);
  }

  function modeLegend() {
    const block = el("div", { className: "legend-block", id: "legend-mode" },
      el("h3", {}, `${T[`map_layer_${state.mode}`]} — ${ctx.period()}`, provisionalBadge()));
    const periods = state.series.periods;
    if (state.mode === "counts") {
      const breaks = state.series.incident_breaks;
      const rows = [[COLOURS.zero, `0 (${T.no_incident})`]];
      let lower = 1;
      breaks.forEach((upper) => {
        rows.push([countColour(upper, breaks), lower === upper ? `${lower}` : `${lower}–${upper}`]);
        lower = upper + 1;
      });
      block.append(...legendRows(rows), el("div", { className: "note" },
        fmt(T.map_breaks_note, { n: periods.length, first: periods[0], last: periods[periods.length - 1] })));
    } else if (state.mode === "status") {
      block.append(...legendRows(config.order.status.map((s) => [COLOURS.status[s], ctx.label("status", s)])),
        el("div", { className: "note", id: "legend-snapshot" }, snapshotText()));
    } else {
      const hs = currentHotspots();
      const family = state.mode === "gi" ? "gi" : "emerging";
      const present = hs ? config.order[family].filter((c) => (hs.counts[c] || 0) > 0 || c === "not significant") : [];
      block.append(
        ...legendRows(present.map((c) => [COLOURS[family][c], `${ctx.label(family, c)} (${hs.counts[c] || 0})`])),
        fdrToggle(), el("div", { className: "note" }, hs ? `${T.map_params}: ${paramsText(hs.parameters)}` : T.map_loading));
    }
    return block;
  }

  return { countColour, statusOf, hotspotUrl, currentHotspots, fillOf, describe, snapshotText, provisionalText,
    paramsText, legendRows, modeLegend };
}
