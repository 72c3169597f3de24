"""Errors of the commune classification."""

from geo.errors import DiabanError


class RulesetError(DiabanError, ValueError):
    """A rule set file that cannot be used; the message lists every problem found."""


class UnknownRulesetError(DiabanError, LookupError):
    """A rule set id with no shipped file and no such path."""
