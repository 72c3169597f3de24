"""Boundary layers as data with provenance: province configurations, cleaning, vintages."""

from boundaries.load import load_boundaries, load_crosswalks
from boundaries.province import (
    DEFAULT_PROVINCE,
    Province,
    load_province,
    loaded_province,
    loaded_provinces,
)

__all__ = ["DEFAULT_PROVINCE", "Province", "load_boundaries", "load_crosswalks", "load_province",
           "loaded_province", "loaded_provinces"]
