"""The mini-program JSON API (/api/v1): built by its own issue."""
