"""The clock: APScheduler jobs that sweep the database, and the notification dispatcher."""
