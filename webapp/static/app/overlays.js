/* diaban map page: the overlays — Gi* grid, density contours, tip-offs (points for analysts, suppressed
 * counts per commune for viewers), sites and establishments (analysts only). */

import { el, escapeHtml } from "./util.js";

export function createOverlays(ctx, themes) {
  const { T, COLOURS, state, config, map } = ctx;
  const { legendRows, paramsText } = themes;
  const layers = {};  // control label -> layer

  function overlay(name, layer, loader, legend) {
    state.overlays[name] = { layer, loader, legend, data: null, key: null };
    layers[T[`map_layer_${name}`]] = layer;
    layer.overlayName = name;
  }

  async function loadGrid() {
    const payload = await ctx.load(themes.hotspotUrl("gi", "grid"), T.map_layer_grid);
    const group = state.overlays.grid.layer;
    group.clearLayers();
    group.addLayer(L.geoJSON(payload.cells, {
      className: "grid-cell",
      style: (f) => ({ fillColor: COLOURS.gi[f.properties.hotspot_class], fillOpacity: 0.75, color: "#666666", weight: 0.3 }),
      onEachFeature: (f, layer) => layer.bindTooltip(`${escapeHtml(ctx.label("gi", f.properties.hotspot_class))}<br>`
        + `z = ${ctx.num(f.properties.z_score)}, ${T.incidents}: ${ctx.num(f.properties.value, 0)}`),
    }));
    return payload;
  }

  async function loadDensity() {
    const payload = await ctx.load(`${config.api.density}?${ctx.params({})}`, T.map_layer_density);
    const group = state.overlays.density.layer;
    group.clearLayers();
    group.addLayer(L.geoJSON(payload.contours, {
      className: "density", interactive: false,
      style: (f) => ({ fillColor: COLOURS.density[Math.max(0, payload.levels.indexOf(f.properties.level))],
        fillOpacity: 0.35, color: "#7f2704", weight: 0.5 }),
    }));
    return payload;
  }

  function siteIcon(status) {
    const [colour, shape] = COLOURS.site[status] || ["#777777", "circle"];
    const shapes = {
      triangle: '<polygon points="9,1 17,16 1,16"/>',
      circle: '<circle cx="9" cy="9" r="7"/>',
      diamond: '<polygon points="9,1 17,9 9,17 1,9"/>',
    };
    return L.divIcon({
      className: `site-icon site-${status}`, iconSize: [18, 18], iconAnchor: [9, 9],
      html: `<svg width="18" height="18" viewBox="0 0 18 18" fill="${colour}" stroke="#111" stroke-width="1.3">${shapes[shape]}</svg>`,
    });
  }

  function historyList(history) {
    return el("ul", {}, history.map((h) => el("li", {},
      `${h.date}: ${ctx.label("site_event", h.origin === "detected" ? "detected" : h.event)}`)));
  }

  async function loadSites() {
    const payload = await ctx.load(`${config.api.sites}?${ctx.params({})}`, T.map_layer_sites);
    const group = state.overlays.sites.layer;
    group.clearLayers();
    group.addLayers(payload.features.filter((f) => f.geometry).map((f) => {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      return L.marker([lat, lon], { icon: siteIcon(p.status), title: `#${p.site_id}` }).bindPopup(() => el("div", {},
        el("b", {}, `${T.map_layer_sites} #${p.site_id}`), ` (${ctx.label("site_kind", p.site_kind)})`,
        el("div", {}, `${T.map_status}: ${ctx.label("site_status", p.status)}`), historyList(p.history)));
    }));
    return payload;
  }

  function outcomeKey(outcome) {
    if (!outcome) return "none";
    return outcome in COLOURS.outcome ? outcome : "other";
  }

  async function loadEstablishments() {
    const payload = await ctx.load(`${config.api.establishments}?${ctx.params({})}`, T.map_layer_establishments);
    const group = state.overlays.establishments.layer;
    group.clearLayers();
    group.addLayers(payload.features.filter((f) => f.geometry).map((f) => {
      const p = f.properties;
      const key = outcomeKey(p.outcome);
      const icon = L.divIcon({ className: `est-icon est-${key}`, iconSize: [12, 12],
        html: `<span style="background:${COLOURS.outcome[key]}"></span>` });
      const [lon, lat] = f.geometry.coordinates;
      const signed = p.signed === null ? "–" : (p.signed ? T.map_yes : T.map_no);
      return L.marker([lat, lon], { icon }).bindPopup(() => el("div", {},
        el("b", {}, p.name || `#${p.id}`),
        el("div", {}, `${T.map_type}: ${ctx.label("etype", p.type)}`),
        el("div", {}, `${T.map_last_inspection}: ${p.inspected || "–"} — ${ctx.label("outcome", key === "other" ? p.outcome : key)}`),
        el("div", {}, `${T.map_commitment}: ${signed}`)));
    }));
    return payload;
  }

  async function loadTips() {
    const payload = await ctx.load(`${config.api.tips}?${ctx.params({})}`, T.map_layer_tips);
    const group = state.overlays.tips.layer;
    group.clearLayers();
    if (payload.features) {  // analysts: the points
      payload.features.filter((f) => f.geometry).forEach((f) => {
        const p = f.properties;
        const [lon, lat] = f.geometry.coordinates;
        group.addLayer(L.circleMarker([lat, lon], { className: "tip-point", radius: 5, color: "#4a1486",
          weight: 1, fillColor: "#807dba", fillOpacity: 0.85 }).bindPopup(() => el("div", {},
          el("b", {}, `${T.map_layer_tips} #${p.tip_id}`), el("div", {}, `${p.received_date} · ${p.result || ""}`),
          p.handled_date ? el("div", {}, `→ ${p.handled_date}`) : null)));
      });
    } else {  // viewers: a count per commune at its centre, below 3 written "<3" by the server
      Object.entries(payload.counts).forEach(([code, n]) => {
        const layer = ctx.communeLayers[code];
        if (!layer) return;
        group.addLayer(L.marker(layer.getBounds().getCenter(), { interactive: false, icon: L.divIcon({
          className: "tip-count", iconSize: [26, 18], html: `<span data-code="${escapeHtml(code)}">${escapeHtml(String(n))}</span>` }) }));
      });
    }
    return payload;
  }

  const tipsLegend = (data) => el("div", { className: "legend-block", id: "legend-tips" },
    el("h3", {}, `${T.map_layer_tips} — ${data.metadata.period}`),
    el("div", { className: "legend-row" }, ctx.swatch("#807dba"),
      ` ${typeof data.metadata.total === "number" ? ctx.num(data.metadata.total, 0) : data.metadata.total}`),
    data.features ? null : el("div", { className: "note" }, T.map_tips_counts));

  const gridLegend = (data) => el("div", { className: "legend-block" }, el("h3", {}, T.map_layer_grid),
    ...legendRows(config.order.gi.filter((c) => data.counts[c])
      .map((c) => [COLOURS.gi[c], `${ctx.label("gi", c)} (${data.counts[c]})`])),
    el("div", { className: "note" }, `${T.map_cells_note}. ${T.map_params}: ${paramsText(data.parameters)}`));

  const densityLegend = (data) => el("div", { className: "legend-block" }, el("h3", {}, T.map_layer_density),
    ...legendRows(data.levels.map((v, i) => [COLOURS.density[i], `≥ ${ctx.num(v, 3)}`])),
    el("div", { className: "note" },
      `${T.map_density_levels}. ${paramsText(data.parameters)}; ${data.parameters.levels_rule}`));

  const sitesLegend = (data) => el("div", { className: "legend-block" },
    el("h3", {}, `${T.map_layer_sites} (${T.map_as_of} ${data.metadata.as_of})`),
    ...config.order.site_status.map((s) => el("div", { className: "legend-row" },
      el("span", { className: "site-legend", innerHTML: siteIcon(s).options.html }),
      ` ${ctx.label("site_status", s)} (${data.metadata.counts[s] || 0})`)),
    el("div", { className: "note" }, `${data.metadata.radius_m} m, ${data.metadata.window_days} d`));

  const establishmentsLegend = (data) => el("div", { className: "legend-block" },
    el("h3", {}, `${T.map_layer_establishments} (${T.map_as_of} ${data.metadata.as_of})`),
    ...legendRows(config.order.outcome.filter((k) => data.metadata.counts[k] || k === "none")
      .map((k) => [COLOURS.outcome[k], `${ctx.label("outcome", k)} (${data.metadata.counts[k] || 0})`])));

  overlay("grid", L.layerGroup(), loadGrid, gridLegend);
  overlay("density", L.layerGroup(), loadDensity, densityLegend);
  overlay("tips", L.layerGroup(), loadTips, tipsLegend);
  if (config.points) {
    overlay("sites", L.markerClusterGroup({ maxClusterRadius: 30 }), loadSites, sitesLegend);
    overlay("establishments", L.markerClusterGroup({ maxClusterRadius: 45, chunkedLoading: true }),
      loadEstablishments, establishmentsLegend);
  }

  async function refreshOverlay(name) {
    const o = state.overlays[name];
    if (!o || !map.hasLayer(o.layer)) return;
    const key = ctx.params({}).toString() + (name === "grid" ? `&fdr=${state.fdr}` : "");
    if (o.key === key) return;
    o.key = key;
    try {
      const data = await o.loader();
      if (o.key !== key) return;  // the period changed meanwhile
      o.data = data;
      ctx.actions.renderLegend();
    } catch (err) { o.key = null; }
  }

  let timer = null;
  function refreshOverlays() {
    clearTimeout(timer);
    timer = setTimeout(() => Object.keys(state.overlays).forEach(refreshOverlay), 250);
  }

  return { layers, refreshOverlay, refreshOverlays, historyList };
}
