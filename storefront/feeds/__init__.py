"""Product feeds for Google Merchant Center and Meta's catalogue, at private, revocable URLs.

Where to look:
  rules.py     pure: one item per variant on sale, texts, prices, links; link names; the cache key
  formats.py   pure: the items as Google's RSS 2.0 (g: namespace) and as Meta's CSV
  service.py   feed links (create, revoke, find by token, count fetches) and the batched catalog read
  cache.py     finished feeds kept as files per (format, catalog generation, address); streamed once
  views.py     /feeds/<token>/google.xml and /feeds/<token>/meta.csv
The owner's page is storefront/admin/feeds.py (/admin/feeds).
"""
