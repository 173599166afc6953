"""Sellers: referral codes, share links and clicks, attribution, the commission ledger and payouts.

Where to look:
  rules.py        pure rules: codes, link-preview bots, who is credited, commission maths, ledger table
  models.py       Seller, SellerCategoryRate, SellerClick, CommissionEntry, Payout
  service.py      the ledger use-cases (credit_order, order_paid ...), run by subscribers.py on
                  order and payment events
  accounts.py     creating, editing and disabling sellers; recording clicks
  reports.py      read models: the seller's dashboard, the owner's list (and its CSV columns)
  web.py          request side: the `?ref=` hook, the attribution cookie, attribution_from_request()
  sharing.py      routes /qr and /og, and the template helpers of the product page's share partials
  share_image.py  the 1200x630 preview image (Pillow), cached on disk
  views.py        /seller dashboard (the owner screens at /admin/sellers: admin/sellers.py, seller_forms.py)
"""
