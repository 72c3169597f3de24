"""What a classification states about itself: rule set, period, vintage, data as-of, and whether it is stored.

A stored classification is a snapshot (``classification_snapshot``, immutable): it has an id,
the time it was taken and who took it. The map also shows a period's classification computed
now and **not stored** (provisional, ``webapp.period_status``): the same fields, without id,
creation time or author. Both are :class:`SnapshotMeta`; ``stored`` tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from geo.classify.errors import UnknownRulesetError
from geo.classify.rulesets import Ruleset, load_ruleset


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
    >>> meta.stored, meta.summary()["provisional"], meta.summary()["data_as_of"]
    (False, True, '2025-01-02T03:04:00+00:00')
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
    counts: dict[str, int] = field(default_factory=dict)

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

        None when the rule set is no longer shipped, or its file changed since (its SHA-256
        differs: the shipped file is not the rule that was applied).
        """
        try:
            rules = load_ruleset(self.ruleset_id)
        except UnknownRulesetError:
            return None
        return rules if rules.sha256 == self.ruleset_sha256 else None

    def summary(self) -> dict:
        """What a map or an export states of the classification, JSON-ready (times as ISO strings).

        ``id, stored, provisional`` (not stored), the rule set (``ruleset_id``, ``ruleset_version``,
        ``ruleset_sha256``), ``period, convention, vintage_id, data_as_of, created_at``. The
        author (``created_by``) is left to the pages that name it (the briefing, the CLI).
        """
        return {"id": self.id, "stored": self.stored, "provisional": not self.stored,
                "ruleset_id": self.ruleset_id, "ruleset_version": self.ruleset_version,
                "ruleset_sha256": self.ruleset_sha256, "period": self.period,
                "convention": self.convention, "vintage_id": self.vintage_id,
                "data_as_of": self.data_as_of.isoformat(),
                "created_at": self.created_at.isoformat() if self.created_at else None}
