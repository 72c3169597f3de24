"""What a classification states about itself: rule set, period, vintage, data as-of, and whether it is stored.

A stored classification is a snapshot (``classification_snapshot``, immutable): it has an id,
the time it was taken and who took it. The map also shows a period's classification computed
now and **not stored** (provisional, ``webapp.period_status``): the same fields, without id,
creation time or author. Both are :class:`SnapshotMeta`; ``stored`` tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from geo.classify.errors import RulesetError
from geo.classify.rulesets import Ruleset, available_rulesets, load_ruleset


@dataclass(frozen=True)
class SnapshotMeta:
    """The metadata of a classification of one period on one vintage.

    ``id``, ``created_at`` and ``created_by`` are None for a classification computed and not
    stored. ``counts`` (``{status: communes}``) is filled only by listings that count
    (``geo.store.classification.list_snapshots``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> meta = SnapshotMeta(ruleset_id="r", ruleset_version="1", ruleset_sha256="ab", period="2024",
    ...                     convention="calendar", vintage_id="75:2010-02-06",
    ...                     data_as_of=datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc))
    >>> meta.stored, meta.summary()["provisional"], meta.summary()["data_as_of"], hash(meta) == hash(meta)
    (False, True, '2025-01-02T03:04:00+00:00', True)
    """

    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    period: str
    convention: str
    vintage_id: str
    data_as_of: datetime
    id: int | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    counts: dict[str, int] = field(default_factory=dict, hash=False)  # a dict cannot be hashed

    @classmethod
    def unstored(cls, ruleset: Ruleset, *, period: str, convention: str, vintage_id: str,
                 data_as_of: datetime) -> SnapshotMeta:
        """The metadata of a classification under ``ruleset`` computed now and not stored."""
        return cls(ruleset_id=ruleset.id, ruleset_version=ruleset.version, ruleset_sha256=ruleset.sha256,
                   period=period, convention=convention, vintage_id=vintage_id, data_as_of=data_as_of)

    @property
    def stored(self) -> bool:
        """True for a snapshot in the store, False for a classification computed now."""
        return self.id is not None

    def shipped_ruleset(self) -> Ruleset | None:
        """The shipped rule set this classification applied, or None.

        None when the rule set is not (or no longer) one of :func:`available_rulesets` (an id
        is never read as a path), or its file changed since (its SHA-256 differs: the shipped
        file is not the rule that was applied) or no longer parses.
        """
        if self.ruleset_id not in available_rulesets():
            return None
        try:
            rules = load_ruleset(self.ruleset_id)
        except RulesetError:  # UnknownRulesetError included
            return None
        return rules if rules.sha256 == self.ruleset_sha256 else None

    def summary(self) -> dict:
        """What a map or an export states of the classification, JSON-ready (times as ISO strings).

        ``id, stored``, the rule set (``ruleset_id``, ``ruleset_version``, ``ruleset_sha256``),
        ``period, convention, vintage_id, data_as_of, created_at`` (in UTC, whatever the database
        session's time zone: the map labels them UTC), and ``"provisional": True`` for a
        classification not stored (absent from a snapshot's: "provisional" elsewhere says the
        *rule set* is provisional). The author (``created_by``) is left to the pages that name
        it (the briefing, the CLI).
        """
        return {"id": self.id, "stored": self.stored, **({} if self.stored else {"provisional": True}),
                "ruleset_id": self.ruleset_id, "ruleset_version": self.ruleset_version,
                "ruleset_sha256": self.ruleset_sha256, "period": self.period,
                "convention": self.convention, "vintage_id": self.vintage_id,
                "data_as_of": _utc(self.data_as_of), "created_at": _utc(self.created_at)}


def _utc(moment: datetime | None) -> str | None:
    """``moment`` as an ISO string in UTC (a naive time is taken as UTC); None stays None.

    >>> from datetime import timedelta, timezone
    >>> _utc(datetime(2025, 1, 2, 10, 0, tzinfo=timezone(timedelta(hours=7))))
    '2025-01-02T03:00:00+00:00'
    """
    if moment is None:
        return None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()
