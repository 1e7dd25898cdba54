"""RICE and ICE, the two prioritisation scores of a roadmap item.

The database computes and stores both (generated columns on RoadmapItem), so lists sort by score
in SQL. These functions state the same formulas in Python, for the explanations shown next to
the scores and for the tests that check the database agrees.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

RICE_FORMULA = "reach × impact × confidence ÷ effort"
ICE_FORMULA = "impact × confidence × ease"


def rice_score(*, reach: int, impact: Decimal, confidence: int, effort: Decimal) -> float:
    """Reach per quarter × impact (0.25-3) × confidence (50-100 %) ÷ effort (person-months)."""
    return float(reach) * float(impact) * (confidence / 100) / float(effort)


def ice_score(*, impact: int, confidence: int, ease: int) -> int:
    """Impact × confidence × ease, each 1-10: 1 to 1000."""
    return impact * confidence * ease


def whole(score: float) -> str:
    """A score as a whole number, as `|floatformat:0` shows it on the board: half rounds up
    (scores are never negative). For text written outside templates (the sync's agenda)."""
    return f"{Decimal(repr(score)).quantize(Decimal(1), rounding=ROUND_HALF_UP):f}"
