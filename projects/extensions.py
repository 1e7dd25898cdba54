"""The projects app's one extension point: panels the apps above it add to a project's page.

Projects imports no app above it (alignment, activity, integrations), so what a project means
there is told to it, once, at start-up, from the other app's AppConfig.ready():

- `register_project_panel(panel)`: `panel(project, user)` returns a ProjectPanel (a template
  name, its context and a title) or None when it has nothing to show for this project and
  person. The project page shows each panel's template in its aside, in the order registered.
  It runs once per page view: a panel reads what it shows in a fixed number of queries. The
  weekly sync (alignment) is meant to register "the next sync" here.

With nothing registered the page shows no panel. Registering the same callable again keeps one
(ready() may run more than once in tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProjectPanel:
    """What a panel shows: `template` rendered with `context`, under the heading `title`."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


Panel = Callable[[Any, Any], ProjectPanel | None]

_panels: list[Panel] = []


def register_project_panel(panel: Panel) -> None:
    """Show `panel(project, user)` on every project's page (when it returns a ProjectPanel)."""
    if panel not in _panels:
        _panels.append(panel)


def project_panels(project: Any, user: Any) -> list[ProjectPanel]:
    """The panels to show on `project`'s page for `user`, in the order registered."""
    return [shown for panel in _panels if (shown := panel(project, user)) is not None]
