"""Schedules: saved job requests fired by cron expressions in IANA time zones (see scheduler.py)."""
