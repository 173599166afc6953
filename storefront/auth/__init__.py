"""Staff login, roles and the guards that protect /admin."""
