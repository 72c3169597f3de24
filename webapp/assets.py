"""Serve folium's JavaScript and CSS from the app itself: no CDN at run time.

Folium links its libraries from CDNs, and a page without them is blank on an offline
intranet. Every rendered page goes through :func:`localise`, which swaps each known URL for
the vendored copy under ``static/vendor`` and refuses to return a page that would still load
anything from the network (so a folium upgrade adding a URL fails the tests, not the user).
"""

from __future__ import annotations

import re

from webapp.errors import RemoteAssetError

VENDOR = "/static/vendor"

#: Exact URLs folium 0.20 writes, and the vendored file that replaces each.
CDN_FILES = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js":
        "bootstrap/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css":
        "bootstrap/bootstrap.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js":
        "awesome-markers/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css":
        "awesome-markers/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css":
        "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css":
        "awesome-markers/leaflet.awesome.rotate.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": "empty.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js":
        "markercluster/leaflet.markercluster.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css":
        "markercluster/MarkerCluster.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css":
        "markercluster/MarkerCluster.Default.css",
}

_REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)["']""", re.IGNORECASE)


def remote_urls(html: str) -> list[str]:
    """Return every ``src``/``href`` URL of ``html`` that points off the app.

    Examples
    --------
    >>> remote_urls('<script src="https://x.org/a.js"></script><link href="/static/a.css">')
    ['https://x.org/a.js']
    """
    return _REMOTE.findall(html)


def localise(html: str) -> str:
    """Replace folium's CDN URLs with the vendored files; raise if any remote URL remains."""
    for url, path in CDN_FILES.items():
        html = html.replace(url, f"{VENDOR}/{path}")
    left = remote_urls(html)
    if left:
        raise RemoteAssetError(
            f"the page would load {left} from the network; vendor them under "
            "webapp/static/vendor (regenerate.sh) and map them in webapp/assets.py"
        )
    return html
