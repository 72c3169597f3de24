/* diaban map page: shared helpers and the page's context (config, state, requests). */

export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.entries(props || {}).forEach(([k, v]) => {
    if (v === null || v === undefined || v === false) return;
    if (k === "style" && typeof v === "object") Object.assign(node.style, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k in node && k !== "list") node[k] = v;
    else node.setAttribute(k, v);
  });
  children.flat().forEach((c) => {
    if (c === null || c === undefined || c === false) return;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  });
  return node;
}

export const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

/* The page's context: its config and geometry blocks, the Leaflet map folium made, the state. */
export function createContext() {
  const config = JSON.parse(document.getElementById("map-config").textContent);
  const geometry = JSON.parse(document.getElementById("map-geometry").textContent);
  const locale = config.lang === "en" ? "en-GB" : "vi-VN";
  const ctx = {
    config, geometry, map: window[config.map], T: config.text, LABELS: config.labels, COLOURS: config.colours,
    locale, actions: {}, communeLayers: {}, names: {},
    state: {
      series: config.series,
      index: config.series.periods.indexOf(config.series.current),
      mode: null, selected: null, fdr: true,
      hotspots: {},   // url -> payload (or a pending promise)
      overlays: {},   // name -> {layer, loader, legend, data, key}
      sort: { key: "incidents", desc: true },
      charts: {},
    },
  };
  ctx.num = (v, digits) => (v === null || v === undefined ? "–"
    : Number(v).toLocaleString(locale, { maximumFractionDigits: digits === undefined ? 2 : digits }));
  ctx.label = (family, code) => (ctx.LABELS[family] && ctx.LABELS[family][code]) || code;
  ctx.swatch = (colour) => el("span", { className: "swatch", style: { background: colour } });
  ctx.period = () => ctx.state.series.periods[ctx.state.index];
  ctx.visible = () => new Set(ctx.state.series.visible);
  ctx.params = (extra) => {
    const p = new URLSearchParams({ period: ctx.period(), vintage: config.vintage, ...ctx.state.series.filters });
    Object.entries(extra || {}).forEach(([k, v]) => { if (v !== undefined && v !== null && v !== "") p.set(k, v); });
    return p;
  };
  ctx.status = (text, isError) => {
    const box = document.getElementById("map-status");
    box.textContent = text || "";
    box.classList.toggle("error", Boolean(isError));
  };
  ctx.load = async (url, what) => {
    ctx.status(ctx.T.map_loading);
    try {
      const body = await getJSON(url);
      ctx.status("");
      return body;
    } catch (err) {
      ctx.status(`${ctx.T.map_error} (${what}): ${err.message}`, true);
      throw err;
    }
  };
  return ctx;
}
