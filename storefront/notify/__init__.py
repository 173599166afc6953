"""Notifications: web push, email and WhatsApp messages for shoppers, staff and sellers."""
