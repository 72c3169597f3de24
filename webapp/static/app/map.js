/* diaban map page: draws the communes once, restyles them per layer, period and filter.
 *
 * Reads two JSON blocks of the page: #map-config (attributes of every slider period, colours,
 * names, API URLs) and #map-geometry (the communes' display geometry and the outlines). The
 * Leaflet map itself is created by folium's script; its global name is config.map. Nothing is
 * loaded from another host. Point layers exist only when config.points is true (analysts);
 * the server refuses their endpoints to anyone else anyway.
 *
 * Modules: util.js (helpers, context), themes.js (colours and legend of the thematic layers),
 * overlays.js (grid, density, sites, establishments), panel.js (table, charts, side panel).
 */
import { createOverlays } from "./overlays.js";
import { createPanel } from "./panel.js";
import { createThemes } from "./themes.js";
import { createContext, el, escapeHtml } from "./util.js";

const MODES = ["status", "counts", "gi", "emerging"];
const ctx = createContext();
const { config, geometry, map, T, state } = ctx;
const themes = createThemes(ctx);
map.setMaxZoom(18);

/* ---------- the communes and the outlines ---------- */

const communes = L.geoJSON(geometry.communes, {
  className: "commune",
  style: () => ({ color: "#555555", weight: 0.6, fillOpacity: 0.85, fillColor: ctx.COLOURS.zero }),
  onEachFeature: (feature, layer) => {
    const code = feature.properties.commune_code;
    ctx.communeLayers[code] = layer;
    ctx.names[code] = feature.properties;
    layer.on("click", () => panel.selectCommune(code, false));
    layer.bindTooltip(() => `<b>${escapeHtml(feature.properties.name)}</b> (${escapeHtml(code)})<br>`
      + escapeHtml(themes.describe(code)), { sticky: true });
  },
}).addTo(map);
Object.entries(ctx.communeLayers).forEach(([code, layer]) => layer.getElement().setAttribute("data-code", code));
map.options.zoomSnap = 0.25;
// Not animated: Leaflet drops a zoom asked for while a zoom animation runs, so a planner's first
// zoom (or a test's) in the first 250 ms would be lost to this one.
map.fitBounds(communes.getBounds(), { padding: [8, 8], animate: false });

const outlines = L.geoJSON(geometry.outlines, {
  className: "outline", interactive: false,
  style: () => ({ fill: false, color: "#222222", weight: 2.2 }),
}).addTo(map);

/* Two levels of the same gapless coverage: the 50 m display level embedded in the page, and the
 * 10 m detail level fetched once when the planner zooms in past config.detail_zoom. */
let detail = "none";  // none -> loading -> loaded (also on <body data-detail> for tests)
async function showDetail() {
  if (detail !== "none" || map.getZoom() < config.detail_zoom) return;
  detail = "loading";
  document.body.dataset.detail = detail;
  try {
    const payload = await ctx.load(`${config.api.geometry}?vintage=${encodeURIComponent(config.vintage)}`,
      T.commune);
    payload.features.forEach((feature) => {
      const layer = ctx.communeLayers[feature.id];
      if (!layer || !feature.geometry) return;
      const depth = feature.geometry.type === "MultiPolygon" ? 2 : 1;
      layer.setLatLngs(L.GeoJSON.coordsToLatLngs(feature.geometry.coordinates, depth));
    });
    detail = "loaded";
  } catch (err) {
    detail = "none";  // shown in the status line; the next zoom tries again
  }
  document.body.dataset.detail = detail;
}
map.on("zoomend", showDetail);
showDetail();  // the first view, fitted before this listener, may already be past detail_zoom

function restyle() {
  const shown = ctx.visible();
  Object.entries(ctx.communeLayers).forEach(([code, layer]) => {
    const inside = shown.has(code);
    layer.setStyle({
      fillColor: inside ? themes.fillOf(code) : "#ffffff",
      fillOpacity: inside ? 0.85 : 0.25,
      color: code === state.selected ? "#000000" : "#555555",
      weight: code === state.selected ? 3 : 0.6,
    });
  });
  if (state.selected && ctx.communeLayers[state.selected]) ctx.communeLayers[state.selected].bringToFront();
  outlines.bringToFront();
}

/* ---------- layer control: thematic layers (one at a time) and overlays ---------- */

const modeGroups = {};
const baseLayers = {};
MODES.forEach((mode) => {
  modeGroups[mode] = L.layerGroup();
  modeGroups[mode].mode = mode;
  baseLayers[T[`map_layer_${mode}`]] = modeGroups[mode];
});
const overlayLayers = {};
if (config.basemap) {
  const tiles = L.tileLayer(config.basemap.url, { attribution: config.basemap.attribution, maxZoom: 19 });
  tiles.addTo(map).bringToBack();
  overlayLayers[T.map_basemap] = tiles;
}
overlayLayers[T.outlines] = outlines;
const overlays = createOverlays(ctx, themes);
Object.assign(overlayLayers, overlays.layers);
const panel = createPanel(ctx, themes, overlays);

const control = L.control.layers(baseLayers, overlayLayers, { collapsed: false, position: "topleft" }).addTo(map);
control.getContainer().id = "layer-control";
map.on("baselayerchange", (e) => setMode(e.layer.mode));
map.on("overlayadd", (e) => { if (e.layer.overlayName) overlays.refreshOverlay(e.layer.overlayName); renderLegend(); });
map.on("overlayremove", () => renderLegend());

async function ensureHotspots() {
  const url = themes.hotspotUrl(state.mode, "commune");
  if (!state.hotspots[url]) {
    state.hotspots[url] = ctx.load(url, T[`map_layer_${state.mode}`])
      .then((payload) => { state.hotspots[url] = payload; return payload; })
      .catch((err) => { delete state.hotspots[url]; throw err; });
  }
  try { await state.hotspots[url]; } catch (err) { /* shown in the status line */ }
}

async function setMode(mode) {
  state.mode = mode;
  document.getElementById("layer-field").value = mode;
  updateUrl();
  if (mode === "gi" || mode === "emerging") await ensureHotspots();
  refreshAll();
}

/* ---------- legend and footer ---------- */

const legendControl = L.control({ position: "topright" });
legendControl.onAdd = () => {
  const div = L.DomUtil.create("div", "map-legend");
  div.id = "legend";
  L.DomEvent.disableClickPropagation(div);
  L.DomEvent.disableScrollPropagation(div);
  return div;
};
legendControl.addTo(map);

function renderLegend() {
  const div = document.getElementById("legend");
  if (!div || !state.mode) return;
  div.replaceChildren(themes.modeLegend());
  Object.values(state.overlays).forEach((o) => { if (map.hasLayer(o.layer) && o.data) div.append(o.legend(o.data)); });
}

function updateMeta() {
  const [start, end] = state.series.bounds[state.index];
  const meta = state.series.metadata;
  document.getElementById("meta-period").replaceChildren(`${T.period}: `, el("b", {}, ctx.period()),
    ` (${start} → ${end}, ${T.map_end_exclusive})`);
  document.getElementById("meta-as-of").textContent = `${T.data_as_of}: ${
    meta.data_as_of ? `${meta.data_as_of.slice(0, 16).replace("T", " ")} UTC` : T.no_data}`;
  let method = T.method;
  if (state.mode === "status") method = `${T.map_method_status}. ${themes.snapshotText()}`;
  const hs = themes.currentHotspots();
  if (hs) method = `${T.map_params}: ${themes.paramsText(hs.parameters)}; ${hs.window}`;
  document.getElementById("meta-method").textContent = method;
  const lost = state.series.unassigned.incidents[state.index];
  document.getElementById("meta-unassigned").textContent = lost ? ` · ${T.unassigned}: ${lost}` : "";
  ["slider-label", "table-period", "status-period"].forEach((id) => {
    document.getElementById(id).textContent = ctx.period();
  });
}

function refreshAll() {
  restyle();
  renderLegend();
  updateMeta();
  panel.renderTable();
  panel.renderCharts();
}

/* ---------- period slider, filters, URL ---------- */

const slider = document.getElementById("period-slider");
slider.max = String(state.series.periods.length - 1);
slider.value = String(state.index);
slider.addEventListener("input", () => setIndex(Number(slider.value)));
document.getElementById("slider-prev").addEventListener("click", () => setIndex(Math.max(0, state.index - 1)));
document.getElementById("slider-next").addEventListener("click",
  () => setIndex(Math.min(state.series.periods.length - 1, state.index + 1)));

async function setIndex(i) {
  state.index = i;
  slider.value = String(i);
  document.getElementById("period").value = ctx.period();
  updateUrl();
  refreshAll();
  if (state.mode === "gi" || state.mode === "emerging") {
    await ensureHotspots();
    if (state.index === i) refreshAll();
  }
  overlays.refreshOverlays();
  panel.loadPanel();
}

function updateUrl() {
  const p = ctx.params({ layer: state.mode, lang: config.lang });
  history.replaceState(null, "", `?${p}`);
  p.set("lang", config.lang === "vi" ? "en" : "vi");
  document.getElementById("lang-link").href = `?${p}`;
}

async function applyFilters() {
  const p = new URLSearchParams({ period: ctx.period(), vintage: config.vintage });
  ["district", "kind", "etype"].forEach((id) => { const v = document.getElementById(id).value; if (v) p.set(id, v); });
  try {
    const series = await ctx.load(`${config.api.series}?${p}`, T.map_totals);
    state.series = series;
    state.index = series.periods.indexOf(series.current);
    state.hotspots = {};
    Object.values(state.overlays).forEach((o) => { o.key = null; });
    fitVisible();
    await setIndex(state.index);
  } catch (err) { /* shown in the status line */ }
}

function fitVisible() {
  const shown = state.series.visible.map((c) => ctx.communeLayers[c]).filter(Boolean);
  if (shown.length) map.fitBounds(L.featureGroup(shown).getBounds());
}

["district", "kind", "etype"].forEach((id) => document.getElementById(id).addEventListener("change", applyFilters));
// another vintage has other districts (none from 2025-07-01): the form must not send this one
document.getElementById("vintage").addEventListener("change", () => { document.getElementById("district").value = ""; });

/* ---------- start ---------- */

Object.assign(ctx.actions, { restyle, renderLegend, setIndex, setMode, refreshOverlay: overlays.refreshOverlay });
const startMode = MODES.includes(config.layer) ? config.layer : (state.series.status[ctx.period()] ? "status" : "counts");
if (config.points) state.overlays.sites.layer.addTo(map);
modeGroups[startMode].addTo(map);  // the layer control answers with baselayerchange: setMode
if (state.series.filters.district) fitVisible();
window.diabanMap = { state, map, communeLayers: ctx.communeLayers, setIndex, selectCommune: panel.selectCommune };
