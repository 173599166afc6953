"""The owner's and staff's admin pages (/admin), all on the one `admin` blueprint.

Every screen is a module here registering its routes on `views.bp`, which requires a signed-in
staff account and marks every page private; owner-only routes add `@role_required("owner")`.
The rules and use cases stay in their feature packages; these modules parse, call and render.

Where to look:
  views.py          the blueprint, the dashboard and orders     forms.py        product, stock, order forms
  products.py       products, variants, photos, categories      stock.py        stock, ledger, CSV in and out
  cancel.py         cancelling an order                         refunds.py      card refunds
  transfers.py      transfer methods, "transfer received"       order_limits.py hoarding limits
  sellers.py        sellers, payouts, commission approval       seller_forms.py their forms
  stores.py         stores, revenue shares and their report     store_forms.py  their forms
  accounts.py       every account, disabling staff and sellers
  reviews.py        the review moderation queue: publish, hide, reply
  aftersales.py     returns, exchanges, problems: queue, request, refund, replacement, return window
  pages.py          the shop's pages (about, shipping, returns ...) per language
  segments.py       customer segments: builder with live count, members, CSV (owner only)
  service.py        read models: the dashboard figures, the filtered order list, an order's facts
"""
