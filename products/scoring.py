"""RICE and ICE, the two prioritisation scores of a roadmap item.

The database computes and stores both (generated columns on RoadmapItem), so lists sort by score
in SQL; a score whose inputs are not all given is NULL (no score, never one from defaults). These functions state the same formulas in Python, for the explanations shown next to
the scores and for the tests that check the database agrees.
"""

from __future__ import annotations

from decimal import Decimal

from roleplan.numbers import num

RICE_FORMULA = "reach × impact × confidence ÷ effort"
ICE_FORMULA = "impact × confidence × ease"


def rice_score(*, reach: int, impact: Decimal, confidence: int, effort: Decimal) -> float:
    """Reach per quarter × impact (0.25-3) × confidence (50-100 %) ÷ effort (person-months)."""
    return float(reach) * float(impact) * (confidence / 100) / float(effort)


def ice_score(*, impact: int, confidence: int, ease: int) -> int:
    """Impact × confidence × ease, each 1-10: 1 to 1000."""
    return impact * confidence * ease


def whole(score: float | None) -> str:
    """A score as a whole number, as `|num:0` shows it on the board (roleplan/numbers.py);
    "—" for an item not scored. For text written outside templates (the sync's agenda)."""
    return num(score, 0)


def scores_text(*, scoring: str, rice: float | None, ice: int | None) -> str:
    """An item's scores as one line of text, for the method(s) its product uses ("RICE 107 ·
    ICE 240", "ICE 240"; "RICE not scored" without inputs). For text written outside
    templates (the sync's agenda); templates use products/_scores.html."""
    parts = []
    if scoring in ("rice", "both"):
        parts.append(f"RICE {whole(rice)}" if rice is not None else "RICE not scored")
    if scoring in ("ice", "both"):
        parts.append(f"ICE {num(ice, 0)}" if ice is not None else "ICE not scored")
    return " · ".join(parts)
