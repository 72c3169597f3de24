"""Commune classification ("xã, phường lành mạnh không có tệ nạn mại dâm") with rules as data.

Pure: frames in, frames out; the caller reads the store (``geo.store.classification``),
builds :class:`ClassificationInputs`, classifies, then writes the snapshot.
"""

from geo.classify.compare import compare_results
from geo.classify.completeness import data_completeness, summarize_missing
from geo.classify.errors import RulesetError, UnknownRulesetError
from geo.classify.evaluate import STATUSES, classify_communes, empty_inputs
from geo.classify.indicators import INDICATORS, compute_indicator, indicator
from geo.classify.inputs import (
    ActCodes,
    ClassificationInputs,
    ClassificationRecords,
    build_inputs,
    period_inputs,
    place_records,
    prostitution_violation,
    reactivation_evidence,
)
from geo.classify.rulesets import (
    DEFAULT_RULESET,
    Criterion,
    Ruleset,
    available_rulesets,
    load_ruleset,
    parse_ruleset,
)
from geo.classify.snapshots import SnapshotMeta

__all__ = [
    "DEFAULT_RULESET", "INDICATORS", "STATUSES", "ActCodes", "ClassificationInputs", "ClassificationRecords",
    "Criterion", "Ruleset", "RulesetError", "SnapshotMeta", "UnknownRulesetError", "available_rulesets",
    "build_inputs", "classify_communes", "compare_results", "compute_indicator", "data_completeness",
    "empty_inputs",
    "indicator", "load_ruleset", "parse_ruleset", "period_inputs", "place_records", "prostitution_violation",
    "reactivation_evidence", "summarize_missing",
]
