"""Ingest: readers, normalisation, unit resolution, validation, quarantine, and the demo set.

``etl.ingest(engine, kind, path, ...)`` is the pipeline the CLI and the web upload share
(:func:`etl.pipeline.ingest`); ``etl.resolve_review`` decides a review item.
"""

from etl.pipeline import ingest
from etl.review import resolve_review

__all__ = ["ingest", "resolve_review"]
