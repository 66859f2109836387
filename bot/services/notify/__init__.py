"""Notices: the outbox, delivery channels and consent, quiet hours and holidays."""
