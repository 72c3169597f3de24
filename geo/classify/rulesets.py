"""Rule sets as data: TOML files naming criteria, indicators, thresholds and the decision rule.

The shipped ``nqlt-01-2008-provisional`` is a provisional reading of criteria.md §1.3; an
official edits or replaces it without touching code. Loading validates the whole file and
names every problem in one :class:`~geo.classify.errors.RulesetError`.
"""

from __future__ import annotations

import hashlib
import operator
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from geo.classify.errors import RulesetError, UnknownRulesetError
from geo.classify.indicators import INDICATORS
from geo.periods import Period

RULESET_DIR = Path(__file__).parent / "rulesets"
DEFAULT_RULESET = "nqlt-01-2008-provisional"
Kind = Literal["hard", "scored", "attested"]
KINDS: tuple[str, ...] = ("hard", "scored", "attested")
COMPARISONS = {"<=": operator.le, "<": operator.lt, "==": operator.eq, ">=": operator.ge,
               ">": operator.gt}
DUTIES: tuple[str, ...] = ("yearly",)
#: Months of each period kind: a yearly duty over a shorter period is scaled by months / 12.
_MONTHS = {"month": 1, "quarter": 3, "half": 6, "nine_months": 9, "year": 12}
_REQUIRED = ("id", "version", "legal_basis", "provisional", "criteria", "decision")


@dataclass(frozen=True)
class Criterion:
    """One criterion: what it reads and when it holds.

    ``hard`` criteria must hold; ``scored`` ones add ``weight`` to the score when they hold;
    ``attested`` ones read the officer's attestation and act as a hard condition without a
    weight, or as a scored one with a weight. ``duty = "yearly"`` makes the threshold a yearly
    duty: a shorter period must reach ``threshold × months / 12`` (a quarter a quarter of it),
    never a year's duty in a quarter.
    """

    id: str
    text_vi: str
    text_en: str
    kind: Kind
    indicator: str
    comparison: str | None = None
    threshold: float | None = None
    weight: float = 0.0
    duty: str | None = None

    def threshold_for(self, *, period: Period | None = None) -> float | None:
        """The threshold that applies over ``period`` (scaled when the criterion is a yearly duty).

        Examples
        --------
        >>> from geo.periods import parse_period
        >>> c = Criterion("P5", "", "", "scored", "inspected_share", ">=", 1.0, 20, duty="yearly")
        >>> c.threshold_for(period=parse_period("2019-Q2")), c.threshold_for(period=parse_period("2019"))
        (0.25, 1.0)
        """
        if self.threshold is None or self.duty != "yearly" or period is None:
            return self.threshold
        return self.threshold * _MONTHS[period.kind] / 12

    @property
    def knockout(self) -> bool:
        """True when the criterion must hold for ``healthy`` (hard, or attested without weight)."""
        return self.kind == "hard" or (self.kind == "attested" and not self.weight)

    def holds(self, value: float, *, period: Period | None = None) -> bool:
        """Whether ``value`` (not NaN) satisfies the criterion over ``period``.

        Examples
        --------
        >>> Criterion("P1", "", "", "hard", "active_public_sites", "==", 0).holds(0.0)
        True
        >>> Criterion("P8", "", "", "attested", "attestation").holds(0.0)
        False
        """
        if self.kind == "attested":
            return bool(value == 1.0)
        return bool(COMPARISONS[self.comparison](value, self.threshold_for(period=period)))


@dataclass(frozen=True)
class Ruleset:
    """A validated rule set, with the SHA-256 of the file it came from."""

    id: str
    version: str
    legal_basis: str
    provisional: bool
    criteria: tuple[Criterion, ...]
    score_threshold: float
    reduced_requires: tuple[str, ...]
    sha256: str
    title_en: str = ""

    @property
    def max_score(self) -> float:
        """The score of a commune meeting every weighted criterion."""
        return sum(c.weight for c in self.criteria)


def available_rulesets() -> list[str]:
    """Ids of the shipped rule sets.

    Examples
    --------
    >>> "nqlt-01-2008-provisional" in available_rulesets()
    True
    """
    return sorted(p.stem for p in RULESET_DIR.glob("*.toml"))


def load_ruleset(id_or_path: str | Path = DEFAULT_RULESET) -> Ruleset:
    """Load and validate a rule set by shipped id or by file path.

    Raises
    ------
    UnknownRulesetError
        When neither a shipped id nor an existing file; the message lists the shipped ids.
    RulesetError
        When the file is invalid; the message lists every problem.

    Examples
    --------
    >>> rs = load_ruleset()
    >>> rs.id, rs.provisional, [c.id for c in rs.criteria][:3], rs.max_score
    ('nqlt-01-2008-provisional', True, ['P1', 'P2', 'P3'], 100.0)
    """
    path = _locate(id_or_path)
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesetError(f"rule set {path}: not valid TOML: {exc}") from exc
    return parse_ruleset(data, sha256=hashlib.sha256(raw).hexdigest(), source=str(path))


def _locate(id_or_path: str | Path) -> Path:
    shipped = RULESET_DIR / f"{id_or_path}.toml"
    if shipped.is_file():
        return shipped
    path = Path(id_or_path)
    if path.is_file():
        return path
    raise UnknownRulesetError(f"rule set {str(id_or_path)!r} is neither a shipped id nor a file; "
                              f"shipped: {', '.join(available_rulesets())}")


def parse_ruleset(data: dict, *, sha256: str = "", source: str = "<dict>") -> Ruleset:
    """Validate a parsed rule set and build it; every problem is named in one error.

    Examples
    --------
    >>> bad = {"id": "x", "version": "1", "legal_basis": "-", "provisional": True,
    ...        "decision": {"score_threshold": 0, "reduced_requires": ["Z"]},
    ...        "criteria": [{"id": "A", "text_vi": "a", "text_en": "a", "kind": "hard",
    ...                      "indicator": "nope", "comparison": "=<", "weight": 3}]}
    >>> try:
    ...     parse_ruleset(bad)
    ... except RulesetError as exc:
    ...     print(str(exc).splitlines()[0])
    rule set <dict> has 5 problems:
    """
    problems = [f"missing key {key!r}" for key in _REQUIRED if key not in data]
    criteria = data.get("criteria", [])
    if not isinstance(criteria, list) or not criteria:
        problems.append("'criteria' must be a non-empty list of [[criteria]] tables")
        criteria = []
    for index, item in enumerate(criteria, start=1):
        problems += _criterion_problems(item, index)
    ids = [str(c.get("id")) for c in criteria]
    problems += [f"criterion id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += _decision_problems(data.get("decision", {}), ids)
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise RulesetError(f"rule set {source} has {len(problems)} problems:\n{listing}")
    return _build(data, sha256)


def _criterion_problems(item: dict, index: int) -> list[str]:
    """Every problem of one ``[[criteria]]`` table."""
    if not isinstance(item, dict):
        return [f"criterion #{index} is not a table"]
    name = f"criterion {item.get('id', f'#{index}')}"
    problems = [f"{name}: missing {key!r}" for key in ("id", "text_vi", "text_en", "kind", "indicator")
                if not item.get(key)]
    kind, indicator = item.get("kind"), item.get("indicator")
    if kind and kind not in KINDS:
        problems.append(f"{name}: kind {kind!r} is not one of {', '.join(KINDS)}")
    if indicator and indicator not in INDICATORS:
        problems.append(f"{name}: unknown indicator {indicator!r}; known: {', '.join(sorted(INDICATORS))}")
    if kind == "attested":
        return problems + _attested_problems(item, name)
    return problems + _compared_problems(item, name, kind)


def _attested_problems(item: dict, name: str) -> list[str]:
    problems = []
    if item.get("indicator") not in (None, "attestation"):
        problems.append(f"{name}: an attested criterion reads indicator 'attestation'")
    problems += [f"{name}: {key!r} is not used by an attested criterion (it holds when the "
                 "officer attests it)" for key in ("comparison", "threshold") if key in item]
    return problems + _weight_problems(item, name, required=False)


def _compared_problems(item: dict, name: str, kind: str | None) -> list[str]:
    problems = []
    comparison = item.get("comparison")
    if comparison is None:
        problems.append(f"{name}: missing 'comparison' (one of {' '.join(COMPARISONS)})")
    elif comparison not in COMPARISONS:
        problems.append(f"{name}: comparison {comparison!r} is not one of {' '.join(COMPARISONS)}")
    threshold = item.get("threshold")
    if threshold is None:
        problems.append(f"{name}: missing 'threshold'")
    elif isinstance(threshold, bool) or not isinstance(threshold, int | float):
        problems.append(f"{name}: threshold {threshold!r} is not a number")
    if item.get("duty") not in (None, *DUTIES):
        problems.append(f"{name}: duty {item['duty']!r} is not one of {', '.join(DUTIES)}")
    if kind == "hard" and "weight" in item:
        problems.append(f"{name}: a hard criterion takes no 'weight' (it is a knock-out)")
    elif kind == "scored":
        problems += _weight_problems(item, name, required=True)
    return problems


def _weight_problems(item: dict, name: str, *, required: bool) -> list[str]:
    weight = item.get("weight")
    if weight is None:
        return [f"{name}: a scored criterion needs a 'weight'"] if required else []
    if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
        return [f"{name}: weight {weight!r} must be a positive number"]
    return []


def _decision_problems(decision, ids: list[str]) -> list[str]:
    if not isinstance(decision, dict):
        return ["'decision' must be a table"]
    problems = []
    threshold = decision.get("score_threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        problems.append(f"decision: score_threshold {threshold!r} must be a number")
    required = decision.get("reduced_requires")
    if not isinstance(required, list):
        problems.append("decision: reduced_requires must be a list of criterion ids")
        required = []
    problems += [f"decision: reduced_requires names unknown criterion {r!r}" for r in required
                 if r not in ids]
    return problems


def _build(data: dict, sha256: str) -> Ruleset:
    criteria = tuple(
        Criterion(id=str(c["id"]), text_vi=c["text_vi"], text_en=c["text_en"], kind=c["kind"],
                  indicator=c["indicator"], comparison=c.get("comparison"),
                  threshold=None if c.get("threshold") is None else float(c["threshold"]),
                  weight=float(c.get("weight", 0.0)), duty=c.get("duty"))
        for c in data["criteria"])
    decision = data["decision"]
    return Ruleset(id=str(data["id"]), version=str(data["version"]),
                   legal_basis=str(data["legal_basis"]), provisional=bool(data["provisional"]),
                   criteria=criteria, score_threshold=float(decision["score_threshold"]),
                   reduced_requires=tuple(decision["reduced_requires"]), sha256=sha256,
                   title_en=str(data.get("title_en", "")))
