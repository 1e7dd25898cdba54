"""Pages of the product side, by topic: product.py (the list, a product and its editors),
kpis.py, risks.py, hypotheses.py, roadmap.py (the board, the table and "Show more"), items.py (a
roadmap item: added, edited in place or on its page, moved, deleted) and imports.py (the
roadmap's CSV export, and its import: upload, mapping and preview, import, summary).

Every view checks access with products/access.py, validates with products/forms.py and writes
through one function of products/services.py. htmx requests get the region they swap; the same
URLs work as plain links and form posts, which redirect.
"""
