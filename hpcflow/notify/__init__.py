"""Flyte 2's `flyte.notify`: notifications of a run's end (sdk/flyte2/notify.py says what hpcflow does with them)."""
from hpcflow.sdk.flyte2.notify import Email, NamedDelivery, NamedRule, Notification, Slack, Teams, Webhook

__all__ = ["Email", "NamedDelivery", "NamedRule", "Notification", "Slack", "Teams", "Webhook"]
