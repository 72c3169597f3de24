"""A synthetic but plausible demo data set, deterministic for a seed: the records, as frames.

It covers 2016-01-01 → 2026-06-30 on the loaded boundary vintages: at-risk establishments
concentrated in urban wards (phường, thị trấn) around a few hot centres each, some tens of sites
with clearing and reactivation histories, incidents (a falling trend through the 2016–2020 plan, a
dip in 2021), inspections, tip-offs, awareness activities, commune reports and attestations. Two
multi-commune zones around the urban cores, three planted dense areas and a planted reactivation
wave (``etl.demo.planted``) give the analyses something true to find. A share of communes in each
vintage is kept clean (no site, no incident), so every classification status can occur; officer
attestations are left out for a few communes so ``not_assessed`` occurs too.

Every establishment's name carries ``DEMO-``; every case, record, registration and site number too.
The frames are written as the files a data officer would receive (``etl.demo.files``) and loaded
through the ingest (``etl.demo.load``). Nothing here knows Đồng Nai: it reads whatever vintages are
loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.join import assign_units
from geo.settings import STORAGE_CRS, WORK_CRS
from geo.vintages import in_force, vintage_on

START, END = date(2016, 1, 1), date(2026, 6, 30)

#: (code, Vietnamese label, share, risk weight)
ESTABLISHMENT_TYPES = (
    ("nha_nghi", "Nhà nghỉ", 0.24, 3.0),
    ("khach_san", "Khách sạn", 0.10, 1.5),
    ("karaoke", "Karaoke", 0.22, 3.0),
    ("massage", "Massage, xông hơi", 0.12, 4.0),
    ("vu_truong", "Vũ trường", 0.02, 3.0),
    ("bar", "Quán bar", 0.05, 2.0),
    ("nha_hang", "Nhà hàng", 0.15, 1.0),
    ("ca_phe", "Cà phê", 0.10, 1.5),
)
#: (code, Vietnamese label as reports write it, share, case type)
INCIDENT_KINDS = (
    ("mua_ban_dam", "Mua bán dâm", 0.55, "hanh_chinh"),
    ("chua_mai_dam", "Chứa mại dâm", 0.15, "hinh_su"),
    ("moi_gioi_mai_dam", "Môi giới mại dâm", 0.12, "hinh_su"),
    ("to_chuc_hoat_dong_mai_dam", "Tổ chức hoạt động mại dâm", 0.05, "hinh_su"),
    ("khieu_dam_kich_duc", "Hoạt động khiêu dâm, kích dục", 0.08, "hanh_chinh"),
    ("thoat_y", "Biểu diễn thoát y", 0.05, "hanh_chinh"),
)
#: Violation codes of sanctioned inspections (etl/vocabulary.toml [violation_types]).
VIOLATION_CODES = ("chua_mai_dam", "loi_dung_kddv", "khieu_dam_kich_duc", "vi_pham_dieu_kien_kinh_doanh")
#: Relative incident intensity per year (the plan's falling trend, a COVID dip in 2021).
YEAR_WEIGHTS = {2016: 1.3, 2017: 1.2, 2018: 1.05, 2019: 0.95, 2020: 0.8, 2021: 0.5,
                2022: 0.8, 2023: 0.85, 2024: 0.85, 2025: 0.8, 2026: 0.8}
TYPE_WEIGHTS = {"phuong": 6.0, "thi_tran": 3.0, "xa": 1.0}
#: Share of establishments in the urban-core clusters (the rest spread by unit type).
ZONE_SHARE = 0.25


@dataclass
class Vintage:
    """A loaded vintage as the generator needs it: id, validity and commune polygons."""

    id: str
    valid_from: date
    valid_to: date | None
    communes: gpd.GeoDataFrame  # commune_code, unit_type, geometry (EPSG:4326)


class Locator:
    """Which vintage and unit a point falls in on a date, and whether that unit is clean."""

    def __init__(self, vintages: list[Vintage], clean: dict[str, set[str]]):
        self.vintages = vintages
        self.clean = clean

    def vintage_on(self, day: date) -> Vintage:
        """The vintage the ingest puts a record of ``day`` on (``geo.vintages.vintage_on``)."""
        return vintage_on(self.vintages, day)

    def covered(self, day: date) -> bool:
        """True when a loaded vintage is officially valid on the day."""
        return in_force(self.vintage_on(day), day)

    def units(self, points: gpd.GeoSeries, days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (vintage id, unit code, is clean) per point for its date."""
        vids = np.array([self.vintage_on(d).id for d in days], dtype=object)
        codes = np.full(len(points), None, dtype=object)
        for v in self.vintages:
            mask = vids == v.id
            if mask.any():
                codes[mask] = assign_units(points[mask], v.communes)["commune_code"].to_numpy(
                    dtype=object, na_value=None)
        clean = np.array([c is None or c in self.clean[v] for v, c in zip(vids, codes, strict=True)])
        return vids, codes, clean


def clean_units(communes: gpd.GeoDataFrame, rng) -> set[str]:
    """Pick about a third of the communes, mostly rural xã, to stay clean."""
    weights = communes["unit_type"].map({"xa": 4.0}).fillna(1.0).to_numpy()
    n = round(len(communes) * 0.33)
    picked = rng.choice(len(communes), size=n, replace=False, p=weights / weights.sum())
    return set(communes["commune_code"].iloc[picked])


def _sample_in(polygon, n: int, rng, centres=None, spread_m: float = 800.0) -> list:
    """Sample ``n`` points inside a polygon (WORK_CRS): uniform, or around ``centres``."""
    shapely.prepare(polygon)
    minx, miny, maxx, maxy = polygon.bounds
    out: list = []
    while len(out) < n:
        k = 4 * (n - len(out)) + 8
        if centres is None:
            x, y = rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)
        else:
            pick = rng.integers(0, len(centres), k)
            x = centres[pick, 0] + rng.normal(0, spread_m, k)
            y = centres[pick, 1] + rng.normal(0, spread_m, k)
        inside = shapely.contains_xy(polygon, x, y)
        out.extend(shapely.points(x[inside], y[inside])[: n - len(out)])
    return out


def establishments(vintages: list[Vintage], n: int, rng) -> gpd.GeoDataFrame:
    """Place establishments over the widest (latest) vintage, dense in urban wards."""
    latest, first = vintages[-1], vintages[0]
    units = latest.communes.to_crs(WORK_CRS)
    weight = units["unit_type"].map(TYPE_WEIGHTS).fillna(1.0).to_numpy()
    weight = weight * units.area.to_numpy() ** 0.3 * rng.lognormal(0, 0.6, len(units))
    in_zones = round(n * ZONE_SHARE)
    counts = rng.multinomial(n - in_zones, weight / weight.sum())
    points = _zone_points(units, in_zones, rng)
    for polygon, count in zip(units.geometry.values, counts, strict=True):
        if count:
            centres = np.array([[p.x, p.y] for p in _sample_in(polygon, rng.integers(1, 4), rng)])
            hot = rng.binomial(count, 0.6)
            points += _sample_in(polygon, hot, rng, centres) + _sample_in(polygon, count - hot, rng)
    geometry = gpd.GeoSeries(points, crs=WORK_CRS).to_crs(STORAGE_CRS)
    codes, labels, shares, _ = zip(*ESTABLISHMENT_TYPES, strict=True)
    kinds = rng.choice(len(codes), size=n, p=np.array(shares) / sum(shares))
    in_first = assign_units(geometry, first.communes)["commune_code"].notna().to_numpy()
    return gpd.GeoDataFrame(
        {
            "establishment_type": np.array(codes)[kinds],
            "name": [f"{labels[k]} DEMO-{i:04d}" for i, k in enumerate(kinds, start=1)],
            "type_label": np.array(labels)[kinds],
            "registration_no": [f"DEMO-ĐKKD-{i:04d}" for i in range(1, n + 1)],
            "address": [f"Số {int(h)}, đường mô phỏng (dữ liệu demo)" for h in rng.integers(1, 400, n)],
            "commitment_signed": rng.random(n) < 0.88,
            "records_from": np.where(in_first, first.valid_from, latest.valid_from),
            "risk": np.array([ESTABLISHMENT_TYPES[k][3] for k in kinds]),
        },
        geometry=geometry.values,
        crs=STORAGE_CRS,
    )


def _zone_points(units: gpd.GeoDataFrame, n: int, rng, spread_m: float = 3000.0) -> list:
    """Points around the urban cores: the wards (phường) with the most phường neighbours.

    These multi-commune clusters are what a planner expects around a city centre, and what
    a hot spot analysis should find in the demo.
    """
    urban = units[units["unit_type"] == "phuong"]
    if urban.empty or n == 0:
        return []
    touching = urban.geometry.apply(lambda g: int(urban.geometry.touches(g).sum())).to_numpy()
    order = np.argsort(-touching, kind="stable")
    cores = [urban.geometry.iloc[order[0]]]
    cores += [g for g in urban.geometry.iloc[order[1:]] if g.distance(cores[0]) > 4 * spread_m][:1]
    centres = np.array([[c.representative_point().x, c.representative_point().y] for c in cores])
    territory = shapely.coverage_union_all(units.geometry.values)  # a clean coverage: fast
    return _sample_in(territory, n, rng, centres, spread_m)


def random_days(n: int, rng, start: date = START, end: date = END) -> list[date]:
    """Draw ``n`` dates between start and end, weighted by ``YEAR_WEIGHTS``."""
    days = pd.date_range(start, end, freq="D")
    weight = days.year.map(YEAR_WEIGHTS).fillna(1.0).to_numpy(dtype=float)
    picked = rng.choice(len(days), size=n, p=weight / weight.sum())
    return [d.date() for d in days[np.sort(picked)]]


def pick_open(est, days, weight, rng) -> np.ndarray:
    """Draw one establishment per day among those whose records have begun by that day."""
    opens = est["records_from"].to_numpy()
    keys = np.empty(len(days), dtype=int)
    day_array = np.array(days, dtype=object)
    for threshold in sorted(set(opens)):
        later = [t for t in sorted(set(opens)) if t > threshold]
        block = (day_array >= threshold) & (day_array < later[0] if later else True)
        eligible = np.flatnonzero(opens <= threshold)
        if block.any():
            p = weight[eligible] / weight[eligible].sum()
            keys[block] = est.index.to_numpy()[rng.choice(eligible, size=int(block.sum()), p=p)]
    return keys


def _subset(candidates: np.ndarray, n: int, rng) -> np.ndarray:
    """A random subset of at most ``n`` candidate positions, in their original order."""
    return np.sort(rng.permutation(candidates)[:n])


def sites(est, located: Locator, n: int, rng) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Create sites in non-clean communes, with identified/cleared/reactivated histories."""
    first_days = random_days(4 * n, rng, START, date(2024, 12, 31))
    public = rng.random(4 * n) < 0.6
    risky = est.index[est["establishment_type"].isin(["karaoke", "massage", "nha_nghi"])]
    est_pick = rng.choice(risky, size=4 * n)
    anchor = est.geometry.loc[est_pick].to_crs(WORK_CRS).values
    jitter = shapely.points(shapely.get_x(anchor) + rng.normal(0, 400, 4 * n),
                            shapely.get_y(anchor) + rng.normal(0, 400, 4 * n))
    geometry = gpd.GeoSeries(np.where(public, jitter, anchor), crs=WORK_CRS).to_crs(STORAGE_CRS)
    _, _, clean_then = located.units(geometry, first_days)
    _, _, clean_now = located.units(geometry, [END] * len(geometry))
    keep = _subset(np.flatnonzero(~clean_then & ~clean_now), n, rng)
    sites = gpd.GeoDataFrame(
        {
            "site_kind": np.where(public[keep], "public", "in_establishment"),
            "descriptor": [f"Tụ điểm mô phỏng DEMO-S{i:03d}" for i in range(1, len(keep) + 1)],
            "site_ref": [f"DEMO-TĐ-{i:03d}" for i in range(1, len(keep) + 1)],
            "establishment_key": np.where(public[keep], None, est_pick[keep]),
        },
        geometry=geometry.values[keep], crs=STORAGE_CRS,
    )
    events = [
        {"site_key": key, "event_date": d, "event_type": t}
        for key, day in enumerate(np.array(first_days, dtype=object)[keep])
        for d, t in _history(day, rng)
    ]
    return sites, pd.DataFrame(events, columns=["site_key", "event_date", "event_type"])


def _history(identified: date, rng) -> list[tuple[date, str]]:
    """One site's dated events: identified, then cleared, reactivated, re-cleared by chance."""
    events = [(identified, "identified")]
    day = identified
    steps = (("cleared", 0.8, 60, 540), ("reactivated", 0.35, 90, 720), ("recleared", 0.6, 30, 360))
    for event, chance, low, high in steps:
        day = day + timedelta(days=int(rng.integers(low, high)))
        if rng.random() > chance or day > END:
            break
        events.append((day, event))
    return events


def incidents(est, sites, located: Locator, n: int, rng) -> gpd.GeoDataFrame:
    """Background incidents at risky establishments, at sites and around them, never in clean communes."""
    m = 3 * n
    days = random_days(m, rng)
    source = rng.choice(3, size=m, p=[0.65, 0.2, 0.15])
    est_key = pick_open(est, days, est["risk"].to_numpy(), rng)
    site_key = rng.integers(0, max(len(sites), 1), m)
    base = np.where(source == 1, sites.geometry.values[site_key % max(len(sites), 1)],
                    est.geometry.values[est_key])
    work = gpd.GeoSeries(base, crs=STORAGE_CRS).to_crs(WORK_CRS).values
    spread = np.where(source == 2, 1500.0, 0.0)
    geometry = gpd.GeoSeries(shapely.points(shapely.get_x(work) + rng.normal(0, 1, m) * spread,
                                            shapely.get_y(work) + rng.normal(0, 1, m) * spread),
                             crs=WORK_CRS).to_crs(STORAGE_CRS)
    _, _, clean = located.units(geometry, days)
    keep = _subset(np.flatnonzero(~clean), n, rng)
    return incident_records(np.array(days, dtype=object)[keep], geometry.iloc[keep], located, rng,
                            ref_share=0.12)


def incident_records(days, points: gpd.GeoSeries, located: Locator, rng, *,
                     ref_share: float = 0.0) -> gpd.GeoDataFrame:
    """Incidents on the given days and points (EPSG:4326), those in clean communes left out.

    A share ``ref_share`` of those on days a loaded vintage covers is known by its commune only
    (``ref_vintage``, ``ref_code``; no point), as many reports give it.
    """
    days = np.asarray(days, dtype=object)
    points = points.reset_index(drop=True)
    vids, codes, clean = located.units(points, days)
    keep = np.flatnonzero(~clean)
    n = len(keep)
    kinds = rng.choice(len(INCIDENT_KINDS), size=n, p=[k[2] for k in INCIDENT_KINDS])
    covered = np.array([located.covered(d) for d in days[keep]], dtype=bool)
    ref_only = covered & (rng.random(n) < ref_share)
    return gpd.GeoDataFrame(
        {
            "event_date": days[keep],
            "kind_label": [INCIDENT_KINDS[k][1] for k in kinds],
            "case_type": [INCIDENT_KINDS[k][3] for k in kinds],
            "outcome": rng.choice(["Xử phạt hành chính", "Khởi tố", "Đang xử lý"], n, p=[0.7, 0.15, 0.15]),
            "persons_total": rng.integers(1, 9, n),
            "persons_under_18": np.where(rng.random(n) < 0.04, 1, 0),
            "ref_vintage": np.where(ref_only, vids[keep], None),
            "ref_code": np.where(ref_only, codes[keep], None),
        },
        geometry=np.where(ref_only, None, points.values[keep]), crs=STORAGE_CRS,
    )


def inspections(est, located: Locator, rng, *, per_year: tuple[int, int] = (500, 150)) -> pd.DataFrame:
    """``per_year`` inspections a year (2016–2020, then after), at open establishments."""
    per_year = {y: (per_year[0] if y <= 2020 else per_year[1]) for y in range(START.year, END.year + 1)}
    per_year[END.year] = per_year[END.year] // 2
    days = [d for y, k in per_year.items()
            for d in random_days(k, rng, date(y, 1, 1), min(date(y, 12, 31), END))]
    keys = pick_open(est, days, (est["risk"] ** 0.5).to_numpy(), rng)
    days = np.array(days, dtype=object)
    _, _, clean = located.units(est.geometry.iloc[keys].reset_index(drop=True), days)
    outcome = np.where(
        clean,
        rng.choice(["khong_vi_pham", "nhac_nho"], len(keys), p=[0.9, 0.1]),
        rng.choice(["khong_vi_pham", "nhac_nho", "xu_phat", "tam_dinh_chi", "tuoc_giay_phep"],
                   len(keys), p=[0.62, 0.14, 0.19, 0.04, 0.01]),
    )
    sanctioned = np.isin(outcome, ["xu_phat", "tam_dinh_chi", "tuoc_giay_phep"])
    after_2025 = np.array([d >= date(2025, 7, 1) for d in days])
    levels = np.where(after_2025, rng.choice(["tinh", "xa"], len(keys), p=[0.3, 0.7]),
                      rng.choice(["tinh", "huyen", "xa"], len(keys), p=[0.15, 0.45, 0.4]))
    return pd.DataFrame({
        "inspection_date": days,
        "establishment_key": keys,
        "team_level": levels,
        "outcome": outcome,
        # Codes of the violation_types vocabulary: most sanctions are for prostitution-related
        # acts, some for licence breaches only (which P2 and P3 do not count).
        "violation_codes": [[code] if s else [] for code, s in zip(
            rng.choice(VIOLATION_CODES, len(keys), p=[0.45, 0.2, 0.15, 0.2]), sanctioned, strict=True)],
        "fine_vnd": np.where(sanctioned, rng.integers(4, 81, len(keys)) * 500_000, 0),
    })


#: (Vietnamese category label, share) of tip-offs; channels and results as reports write them.
TIP_CATEGORIES = (("Mua bán dâm", 0.4), ("Cơ sở có dấu hiệu mại dâm", 0.3), ("Tụ điểm mại dâm", 0.15),
                  ("Khiêu dâm, kích dục", 0.1), ("Bảo kê", 0.05))
TIP_CHANNELS = ("Đường dây nóng", "Hòm thư tố giác", "Trực tiếp", "Trực tuyến")
TIP_RESULTS = ("Đúng sự thật", "Không đúng sự thật", "Đang xác minh")


def tips(est, n_sites: int, n: int, rng) -> pd.DataFrame:
    """Tip-offs about risky establishments (some about a site), with verification and handling dates.

    Returns
    -------
    DataFrame
        ``received_date, category, channel, result, verified_date, handled_date, establishment_key,
        site_key`` (a tip names its establishment, or a site, never both).
    """
    days = random_days(n, rng)
    keys = pick_open(est, days, est["risk"].to_numpy() ** 2, rng)
    about_site = (rng.random(n) < 0.15) & (n_sites > 0)
    labels, shares = zip(*TIP_CATEGORIES, strict=True)
    result = rng.choice(len(TIP_RESULTS), n, p=[0.35, 0.45, 0.2])
    verified = [d + timedelta(days=int(k)) if r < 2 else None
                for d, k, r in zip(days, rng.integers(2, 30, n), result, strict=True)]
    handled = [v + timedelta(days=int(k)) if v is not None else None
               for v, k in zip(verified, rng.integers(1, 20, n), strict=True)]
    return pd.DataFrame({
        "received_date": days, "category": rng.choice(labels, n, p=shares),
        "channel": rng.choice(TIP_CHANNELS, n, p=[0.5, 0.2, 0.2, 0.1]),
        "result": np.array(TIP_RESULTS)[result], "verified_date": verified, "handled_date": handled,
        "establishment_key": np.where(about_site, None, keys).astype(object),
        "site_key": np.where(about_site, rng.integers(0, max(n_sites, 1), n), None).astype(object),
    })
