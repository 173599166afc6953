"""The shop's brand: name, logo, colours, home-page hero, announcement, contact links and buy notes.

One row (brand/models.py) the owner edits on Admin > Brand; pure checks (WCAG contrast, https
links, WhatsApp numbers) in rules.py; read per process and refreshed when the catalog
generation moves (web.py), which a brand save bumps, so every worker and the page cache follow.
"""
