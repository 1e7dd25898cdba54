"""Pages of the projects app, one module per topic: project (the list, the overview, create,
edit, approve), scope, timeline, budget, risks, changes and exports; editing holds what the item
pages share. Each view checks access through projects.access, validates with a form, calls one
service and renders a template; lists are prepared in the views, templates run no query."""
