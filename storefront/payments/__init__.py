"""Payments: cash in person, or card through a provider's hosted page (Stripe Checkout)."""
