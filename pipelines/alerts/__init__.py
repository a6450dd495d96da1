"""Alerts: subscriptions (data/alerts.yaml), their matches, digests, channels and the
ledger that makes every match arrive once (issue 20). `run.run_alerts` is the entry."""
