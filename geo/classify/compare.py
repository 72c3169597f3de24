"""Compare two classification results: which communes changed status, and which criteria."""

from __future__ import annotations

import pandas as pd


def compare_results(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """List the communes whose status or criteria differ between two results.

    Parameters
    ----------
    before, after : DataFrame
        Results with ``commune_code, status, score, criteria`` (as :func:`classify_communes`
        returns or a stored snapshot reads back).

    Returns
    -------
    DataFrame
        ``commune_code, status_before, status_after, score_before, score_after,
        changed_criteria`` (ids whose ``passed`` or ``value`` differ), one row per commune that
        changed; a commune present in only one result has ``None`` on the other side.

    Examples
    --------
    >>> a = pd.DataFrame({"commune_code": ["1", "2"], "status": ["healthy", "reduced"],
    ...     "score": [100.0, 60.0], "criteria": [[{"id": "P1", "passed": True, "value": 0.0}],
    ...                                           [{"id": "P1", "passed": True, "value": 0.0}]]})
    >>> b = a.copy()
    >>> b.loc[0, "status"], b.at[0, "criteria"] = "not_healthy", [{"id": "P1", "passed": False,
    ...                                                            "value": 1.0}]
    >>> compare_results(a, b)[["commune_code", "status_before", "status_after", "changed_criteria"]]
      commune_code status_before status_after changed_criteria
    0            1       healthy  not_healthy             [P1]
    """
    left = before.set_index("commune_code")
    right = after.set_index("commune_code")
    rows = []
    for code in sorted(set(left.index) | set(right.index)):
        a = left.loc[code] if code in left.index else None
        b = right.loc[code] if code in right.index else None
        changed = _changed_criteria(a, b)
        if a is None or b is None or a["status"] != b["status"] or changed:
            rows.append({"commune_code": code,
                         "status_before": None if a is None else a["status"],
                         "status_after": None if b is None else b["status"],
                         "score_before": None if a is None else a["score"],
                         "score_after": None if b is None else b["score"],
                         "changed_criteria": changed})
    return pd.DataFrame(rows, columns=["commune_code", "status_before", "status_after", "score_before",
                                       "score_after", "changed_criteria"])


def _changed_criteria(a, b) -> list[str]:
    if a is None or b is None:
        return []
    old = {c["id"]: (c["passed"], c["value"]) for c in a["criteria"]}
    new = {c["id"]: (c["passed"], c["value"]) for c in b["criteria"]}
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
