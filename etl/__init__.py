"""Ingest: readers, normalisation, unit resolution, validation, quarantine, and the demo set."""
