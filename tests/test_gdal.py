"""GIS staff read what the API gives with GDAL's own tools."""

import json
import subprocess

import pytest

pytestmark = [pytest.mark.postgis, pytest.mark.gdal]



def test_ogrinfo_reads_the_communes_geojson(auth_client, ogrinfo, tmp_path):
    body = auth_client.get("/api/communes?period=2025-H2&detail=full").get_json()
    path = tmp_path / "communes.geojson"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    out = subprocess.run([ogrinfo, "-ro", "-al", "-so", str(path)], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert "Feature Count: 95" in out
    assert "Multi Polygon" in out
    for field in ("commune_code: String", "incidents: Integer", "inspections: Integer"):
        assert field in out
    assert "WGS 84" in out
    one = subprocess.run([ogrinfo, "-ro", "-al", "-q", "-where", "commune_code = '26188'",
                          str(path)], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "Phường Tân Triều" in one
