"""The read → compute → write recipes behind the CLI, the web views and the briefing.

One module per domain noun (:mod:`~webapp.workflows.hotspots`,
:mod:`~webapp.workflows.reactivation`, :mod:`~webapp.workflows.classification`,
:mod:`~webapp.workflows.targets`, :mod:`~webapp.workflows.reports`, the export layers of
:mod:`~webapp.workflows.layers`); their analysis defaults
are named once in :mod:`~webapp.workflows.defaults`. A workflow takes an engine or a
connection and plain values and returns frames or dicts: it imports neither flask nor click
(an import contract in ``pyproject.toml`` says so), so ``diaban`` commands (thin click shells),
views and the briefing all call the same code.
"""
