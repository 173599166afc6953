"""Sellers' own storefronts (issue 21): a seller's page, collections, several products in one share.

Where to look: models.py (a seller's picks for their page, collections and their products, in order),
rules.py (pure: names, slugs, limits, ordering), service.py (changing picks and collections),
reads.py (what the public pages show), views.py (public /s/<code>, /collections/<slug>, their
preview images and QR codes), seller.py (the seller's own editing under /seller), share.py (several
products as one share). A seller's page and a collection attribute the order like any seller link
(sellers.web); the owner's own collections (seller_id NULL) carry no seller.
"""
