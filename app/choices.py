"""Choices for WTForms select fields, as ``SelectChoice`` objects (WTForms 3.3
deprecates tuples; 3.4 removes them)."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """``[(value, label), ...]`` as select choices, in order."""
    return [SelectChoice(value, label) for value, label in pairs]


def values(choices: Iterable[SelectChoice]) -> set[str]:
    return {choice.value for choice in choices}
