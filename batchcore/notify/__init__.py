"""Notifications: channels and rules in the workspace's notifications.yaml, one message per job,
sent in the background with retries (see sender.py)."""
