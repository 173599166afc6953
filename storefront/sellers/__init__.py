"""Sellers: referral codes, share links and clicks, attribution, the commission ledger and payouts.

Where to look:
  rules.py        pure rules: codes, link-preview bots, who is credited, commission maths, ledger table
  models.py       Seller, SellerCategoryRate, SellerClick, CommissionEntry, Payout
  service.py      the ledger use-cases the order/payment code calls (credit_order, order_paid ...)
  accounts.py     creating, editing and disabling sellers; recording clicks
  reports.py      read models: the seller's dashboard, the owner's list, CSV rows
  tracking.py     request side: `?ref=` hook, the attribution cookie, attribution_from_request()
  sharing.py      share links, QR codes and the Open Graph share image (routes /qr, /og)
  views.py        /seller dashboard;  admin.py: /admin/sellers
"""
