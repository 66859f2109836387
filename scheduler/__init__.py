"""The clock: APScheduler jobs that sweep the database, and the notification dispatcher."""

from scheduler.runner import run_once, run_sweep

__all__ = ["run_once", "run_sweep"]
