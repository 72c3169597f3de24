#!/usr/bin/env bash
# Rebuild this folder from the npm registry. Run by hand when a pinned version changes;
# deploys and CI use the committed files and never need npm.
# The URL map in webapp/assets.py must name every file a folium page asks for.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$work/"
[ -f "$here/package-lock.json" ] && cp "$here/package-lock.json" "$work/"
(cd "$work" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
cp "$work/package-lock.json" "$here/"
nm="$work/node_modules"
rm -rf "$here"/chartjs "$here"/leaflet "$here"/jquery "$here"/bootstrap "$here"/awesome-markers "$here"/fontawesome "$here"/markercluster
mkdir -p "$here"/{chartjs,leaflet,jquery,bootstrap,awesome-markers,fontawesome/css,markercluster}
cp -r "$nm/leaflet/dist/leaflet.js" "$nm/leaflet/dist/leaflet.css" "$nm/leaflet/dist/images" "$nm/leaflet/LICENSE" "$here/leaflet/"
cp "$nm/chart.js/dist/chart.umd.js" "$nm/chart.js/LICENSE.md" "$here/chartjs/"
cp "$nm/jquery/dist/jquery.min.js" "$nm/jquery/LICENSE.txt" "$here/jquery/"
cp "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/LICENSE" "$here/bootstrap/"
cp -r "$nm/leaflet.awesome-markers/dist/leaflet.awesome-markers.js" "$nm/leaflet.awesome-markers/dist/leaflet.awesome-markers.css" \
      "$nm/leaflet.awesome-markers/dist/images" "$here/awesome-markers/"
cp "$nm/leaflet.awesome-markers/LICENSE" "$here/awesome-markers/" 2>/dev/null || true
cp "$nm/@fortawesome/fontawesome-free/css/all.min.css" "$here/fontawesome/css/"
cp -r "$nm/@fortawesome/fontawesome-free/webfonts" "$nm/@fortawesome/fontawesome-free/LICENSE.txt" "$here/fontawesome/"
cp "$nm/leaflet.markercluster/dist/leaflet.markercluster.js" "$nm/leaflet.markercluster/dist/MarkerCluster.css" \
   "$nm/leaflet.markercluster/dist/MarkerCluster.Default.css" "$nm/leaflet.markercluster/MIT-LICENCE.txt" "$here/markercluster/"
# folium's rotate helper is only .fa-rotate-N{transform:rotate(Ndeg)} for N in 0..359: generate it.
python3 -c "print(''.join('.fa-rotate-%d{transform:rotate(%ddeg)}' % (n, n) for n in range(360)))" > "$here/awesome-markers/leaflet.awesome.rotate.min.css"
# The bootstrap 3 glyphicons stylesheet folium still links is not needed (markers use prefix="fa").
: > "$here/empty.css"
echo "vendor assets regenerated in $here"
