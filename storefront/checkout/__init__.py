"""Checkout: the shopper's buying flow, composing cart, orders, payments, stores and sellers.

Where to look:
  forms.py     CheckoutForm (one short form on a phone) and the country list
  service.py   place_order: the order, its payment or transfer, in one transaction; the order page's facts
  views.py     /checkout (the form and the place-order POST) and the order page /o/<token> (+ transfer claim)

The facts it causes are announced by their owners (orders.events, payments.events): the
sellers, stores and analytics packages subscribe; checkout calls none of them for that.
"""
