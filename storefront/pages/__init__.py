"""The shop's own pages (about, shipping, returns, privacy, terms, contact), /sitemap.xml and its robots line.

The owner writes each page per language on Admin > Pages (storefront/admin/pages.py); shoppers
read /pages/<slug> in their language, else the shop's default one (views.py), cached like catalog
pages. `shop_pages()` (web.py) tells every template which pages exist, for the footer, checkout
and the buy box. /sitemap.xml lists what a search engine may index: sitemap_service.py reads
it, sitemap_rules.py writes it.
"""
