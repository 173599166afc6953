"""Stores and O2O: physical stores, the nearest store, customer-to-store binding, revenue shares.

Where to look:
  rules.py     pure: haversine, nearest stores, place matching, customer keys, share maths
  models.py    Store, CustomerStore (first binding kept), OrderStore, RevenueShare (settings)
  service.py   use-cases: save stores, nearest_store, bind_customer, assign_order, the report
  views.py     /stores (geolocation or typed city/postcode) and choosing a store
  (the owner screens at /admin/stores live in the admin package: admin/stores.py, store_forms.py)
"""
