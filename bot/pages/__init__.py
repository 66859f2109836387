"""Server-rendered pages: the check-in and projector pages (admin pages later)."""
