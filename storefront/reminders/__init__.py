"""Automatic reminders (issue 20): a cart left waiting, a customer past their usual interval; consent-bound.

Where to look: rules.py (pure: the lapse rule, the settings' bounds), models.py (the owner's settings,
the log of queued reminders), service.py (find due carts and lapsed customers, queue once), jobs.py
(the periodic jobs), report.py (queued, sent, orders that followed). Back-in-stock messages are the
notify package's watches: requested by the shopper, so not marketing and always sent.
"""
