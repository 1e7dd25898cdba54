"""Ownership's one extension point: what the apps above it add to an asset.

The ownership registry imports no other app of ours and knows none of their tables, so what an
asset means elsewhere is told to it, once, at start-up, from the other app's
AppConfig.ready():

- `register_role_conflict(condition, summary=..., explanation=...)`: the rule of the
  role-conflict gap. `condition()` returns a boolean expression (a Q or an Exists) evaluated
  on each Asset row of a query, so its subqueries refer to the asset with `OuterRef("pk")` and
  to its owner with `OuterRef("owner")`. The projects app registers "the owner of a product
  manages one of its projects". `summary` is the badge's title in the registry, `explanation`
  the sentence on the asset page (GAP_HELP).
- `register_asset_link(kind, url_for, label=...)`: where an asset of `kind` lives in another
  app. `url_for(asset)` returns the URL (or None) without a query; the asset page shows a
  button `label` to it. The products app registers "Open the product".

With nothing registered ownership works alone: no asset has a role conflict (the registry
does not offer that gap as a filter) and asset pages link nowhere else. Registering again
replaces the earlier registration (ready() may run more than once in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Expression, ExpressionWrapper, Q, Value

# A boolean expression over an Asset row: Q(...) or Exists(...).
Condition = Q | Expression


@dataclass(frozen=True)
class RoleConflictRule:
    condition: Callable[[], Condition]
    summary: str
    explanation: str


@dataclass(frozen=True)
class AssetLink:
    url_for: Callable[[Any], str | None]
    label: str


@dataclass
class Extensions:
    """What has been registered; `EXTENSIONS` is the one instance."""

    role_conflict: RoleConflictRule | None = None
    links: dict[str, AssetLink] = field(default_factory=dict)


EXTENSIONS = Extensions()


def register_role_conflict(
    condition: Callable[[], Condition], *, summary: str, explanation: str
) -> None:
    """Give the role-conflict gap its rule (see the module docstring)."""
    EXTENSIONS.role_conflict = RoleConflictRule(condition, summary, explanation)


def register_asset_link(kind: str, url_for: Callable[[Any], str | None], *, label: str) -> None:
    """Link every asset of `kind` to the page `url_for(asset)` names (see the module docstring)."""
    EXTENSIONS.links[str(kind)] = AssetLink(url_for, label)


def role_conflict_rule() -> RoleConflictRule | None:
    return EXTENSIONS.role_conflict


def role_conflict_expression() -> ExpressionWrapper | Value:
    """True for the rows whose owner has a conflicting role; always False when no app
    registered a rule. Built per query: the condition's subquery refers to the outer row."""
    rule = EXTENSIONS.role_conflict
    if rule is None:
        return Value(False, output_field=BooleanField())
    return ExpressionWrapper(Q(rule.condition()), output_field=BooleanField())


def asset_link(asset: Any) -> tuple[str, str] | None:
    """(label, url) of the page that an asset of this kind has in another app, if any."""
    link = EXTENSIONS.links.get(str(asset.kind))
    if link is None:
        return None
    url = link.url_for(asset)
    return (link.label, url) if url else None
