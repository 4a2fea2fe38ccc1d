"""Flyte 2's run notifications (flyte.notify: Email, Slack, Teams, Webhook, NamedRule, NamedDelivery)
and the phases they name (flyte.models.ActionPhase).

hpcflow sends nothing over the network from a run: a local run's notifications that match how
it ended are written as log lines, saying what would have been sent where. (A Slurm job's
own mail is the site's --mail-type.) They are checked as flyte checks them, so a notification
that flyte refuses is refused here too.
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

log = logging.getLogger("hpcflow.notify")


class ActionPhase(str, enum.Enum):
    """Where a run or action is in its life (flyte.models.ActionPhase)."""

    QUEUED = "queued"
    WAITING_FOR_RESOURCES = "waiting_for_resources"
    INITIALIZING = "initializing"
    RUNNING = "running"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABORTED = "aborted"
    TIMED_OUT = "timed_out"
    RECOVERED = "recovered"

    @property
    def is_terminal(self) -> bool:
        """True for the phases a run never leaves."""
        return self in (ActionPhase.SUCCEEDED, ActionPhase.FAILED, ActionPhase.ABORTED, ActionPhase.TIMED_OUT,
                        ActionPhase.RECOVERED)


NOTIFIABLE = (ActionPhase.SUCCEEDED, ActionPhase.FAILED, ActionPhase.ABORTED, ActionPhase.TIMED_OUT)


@dataclass(frozen=True)
class NamedRule:
    """A notification rule set up by a Flyte admin, by name (nothing to look it up in here)."""

    name: str

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("Rule name must not be empty")


@dataclass(frozen=True, kw_only=True)
class Notification:
    """What to send when a run ends in one of `on_phase`."""

    on_phase: Union[ActionPhase, tuple[ActionPhase, ...]]

    def __post_init__(self) -> None:
        phases = (self.on_phase,) if isinstance(self.on_phase, str) else tuple(self.on_phase)
        if not phases:
            raise ValueError("At least one phase must be specified")
        for phase in phases:
            if phase not in NOTIFIABLE:
                raise ValueError(f"Notification on phase {phase} is not supported.")
        object.__setattr__(self, "on_phase", phases)

    def target(self) -> str:
        """Who it would reach, for the log line."""
        return ""


def _tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


@dataclass(frozen=True, kw_only=True)
class NamedDelivery(Notification):
    """A delivery channel set up by a Flyte admin, by name."""

    name: str

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.name:
            raise ValueError("Delivery config name must not be empty")

    def target(self) -> str:
        return f"delivery {self.name}"


@dataclass(frozen=True, kw_only=True)
class Email(Notification):
    """An email (subject and body may use {{.Run.Name}}, {{.Phase}}, {{.Error}}, ...)."""

    recipients: tuple[str, ...]
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = "Run {{.Run.Name}} {{.Phase}}"
    body: str = ("Run: {{.Run.Name}}\nProject/Domain: {{.Run.Project}}/{{.Run.Domain}}\nPhase: {{.Phase}}\n"
                 "Error: {{.Error}}\n")
    html_body: Optional[str] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("recipients", "cc", "bcc"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        if not self.recipients:
            raise ValueError("At least one recipient must be specified")

    def target(self) -> str:
        return ", ".join(self.recipients)


@dataclass(frozen=True, kw_only=True)
class Slack(Notification):
    """A Slack message through an incoming webhook."""

    webhook_url: str
    message: Optional[str] = None
    blocks: Optional[tuple[dict[str, Any], ...]] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.webhook_url:
            raise ValueError("webhook_url is required")
        if self.blocks is not None:
            object.__setattr__(self, "blocks", _tuple(self.blocks))
        if self.message is None and self.blocks is None:
            object.__setattr__(self, "message", "Run: {{.Run.Name}} finished with phase {{.Phase}}\n"
                                                " | {{.Run.Project}}/{{.Run.Domain}}\n")

    def target(self) -> str:
        return self.webhook_url


@dataclass(frozen=True, kw_only=True)
class Teams(Notification):
    """A Microsoft Teams message through a webhook."""

    webhook_url: str
    title: str = "Run {{.Run.Name}} {{.Phase}}"
    message: Optional[str] = None
    card: Optional[dict[str, Any]] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.webhook_url:
            raise ValueError("webhook_url is required")
        if self.message is None and self.card is None:
            object.__setattr__(self, "message", "Run: {{.Run.Name}}\nProject/Domain: {{.Run.Project}}/"
                                                "{{.Run.Domain}}\nPhase: {{.Phase}}\nError: {{.Error}}\n")

    def target(self) -> str:
        return self.webhook_url


@dataclass(frozen=True, kw_only=True)
class Webhook(Notification):
    """An HTTP request of your own (url, method, headers and body may use the template variables)."""

    url: str
    method: Literal["POST", "PUT", "PATCH", "GET", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"] = "POST"
    headers: Optional[dict[str, str]] = None
    body: Optional[dict[str, Any]] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.url:
            raise ValueError("url is required")
        if self.body is None:
            object.__setattr__(self, "body", {"run": "{{.Run.Name}}", "project": "{{.Run.Project}}",
                                              "domain": "{{.Run.Domain}}", "phase": "{{.Phase}}",
                                              "error": "{{.Error}}"})

    def target(self) -> str:
        return f"{self.method} {self.url}"


Notifications = Union[NamedRule, Notification, tuple[Notification, ...], list, None]


def check_notifications(given: Any) -> tuple[Any, ...]:
    """with_runcontext(notifications=...) as a tuple; anything but flyte.notify's kinds is refused."""
    items = () if given is None else _tuple(given)
    for item in items:
        if not isinstance(item, (Notification, NamedRule)):
            raise TypeError(f"notifications= takes flyte.notify.Email/Slack/Teams/Webhook/NamedRule/NamedDelivery, "
                            f"not {item!r}")
    return items


def announce(notifications: tuple[Any, ...], phase: ActionPhase, run_name: str) -> list[str]:
    """Log (and give) a line for each notification a run that ended in `phase` would send."""
    lines = []
    for item in notifications:
        if isinstance(item, NamedRule):
            lines.append(f"run {run_name} {phase.value}: named rule {item.name!r} is a Flyte service's; not applied")
        elif phase in item.on_phase:
            lines.append(f"run {run_name} {phase.value}: {type(item).__name__} notification to {item.target()} "
                         "not sent (hpcflow sends no notifications from a run)")
    for line in lines:
        log.info(line)
    return lines
