"""Campaigns: an offer to a saved segment on one channel (push, email, or a WhatsApp list the owner
sends from their phone), sent through the job queue at the owner's rate, with a personal tracked link
per recipient; the report counts reached, delivered, opened, clicked, orders, revenue, discount given.

  models.py       Campaign, CampaignRecipient, CampaignOrder
  rules.py        pure: statuses, the send schedule, safe landing paths, wa.me links, the message text
  service.py      use-cases (never commit): create, schedule, cancel, start, send one, track, attribute, figures
  jobs.py         campaigns.start (snapshot the segment), campaigns.send (one recipient)
  subscribers.py  ORDER_PLACED: an order from a browser that followed a campaign link
  views.py        /r/<token> (tracked link), /r/<token>/o.gif (email open pixel)
"""
