"""Infrastructure: database, raw fast path, store, clock, WeChat client and token, leases. No rules."""
