"""Notifications: web push, email and WhatsApp messages for shoppers, staff and sellers.

Subscribers (subscribers.py) turn orders', payments', stock's and jobs' facts into durable jobs in
the same transaction; the worker fans each out to its recipients and sends every message once
(service.py). Shoppers follow an order or a sold-out variant on their device (web push) or by
email, with no account; staff and sellers choose their alerts in their account settings.
"""
