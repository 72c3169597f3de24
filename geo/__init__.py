"""The domain core of diaban: settings, errors, periods, commune assignment and the store.

The analysis modules (``geo.join``, ``geo.periods`` and later ``geo.hotspots``,
``geo.reactivation``, ``geo.classify``) are pure: frames in, frames out, no database.
``geo.store`` is the only place that knows SQL.
"""
