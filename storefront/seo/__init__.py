"""Being found: structured data (JSON-LD, schema.org) on every shopper page type.

jsonld.py builds the dicts (pure), rules.py reads opening hours (pure), sources.py gathers the
facts borrowed from other features (ratings, reviews, the return window), and views.py gives
templates the globals that emit the `<script type="application/ld+json">` elements.
"""
