"""`--notify URL`: a Slack-compatible JSON message when a sync fails (or, with `--notify-on always`,
after every sync), posted to each webhook.

The message is `{"text": ...}` (what Slack, Teams workflows, Mattermost and Discord's /slack endpoint
show) plus the run's figures as fields of their own, for receivers that read JSON. It is built from
names, counts and reasons only, and any secret's value that still turned up in them is masked. A
webhook URL is a secret too (whoever has it can post to the channel): it is never printed, only its
host. A notification that cannot be delivered is a warning: the sync's outcome is the sync's.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pendo_sync.errors import ConfigError
from pendo_sync.report import COUNTS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from pendo_sync.outcome import RunOutcome

WHEN = ("failure", "always")
ENV = "PENDO_SYNC_NOTIFY"
SECRET_ENV = ("PENDO_INTEGRATION_KEY", "PENDO_TRACK_EVENT_SECRET")
TIMEOUT = 10.0  # seconds for one webhook; a slow receiver must not hold the job up for long
_MODELS_SHOWN = 5
_REASONS_SHOWN = 3
_MASK = "***"


def webhooks(given: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """The URLs of --notify, else of PENDO_SYNC_NOTIFY (space or comma separated), each http(s)."""
    urls = [u for value in given for u in re.split(r"[\s,]+", value) if u]
    if not given:
        urls = [u for u in re.split(r"[\s,]+", env.get(ENV, "")) if u]
    bad = [u for u in urls if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname]
    if bad:
        raise ConfigError(
            [
                f"--notify/{ENV}: {len(bad)} of the webhook URLs given is not an http(s) URL with a host. "
                "Fix: give the whole URL, e.g. https://hooks.slack.com/services/..., one per --notify"
            ]
        )
    return list(dict.fromkeys(urls))


def host(url: str) -> str:
    """What may be shown of a webhook: its host (its path holds the token)."""
    return urlsplit(url).hostname or "?"


def should_notify(outcome: RunOutcome, when: str) -> bool:
    return when == "always" or outcome.failed


def secrets_of(env: Mapping[str, str], urls: Iterable[str]) -> list[str]:
    """The values a message must never hold: Pendo's secrets and the webhooks' URLs."""
    return [v for v in (*(env.get(name, "") for name in SECRET_ENV), *urls) if len(v) >= 4]


def build_message(outcome: RunOutcome, secrets: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON body: `text` for people (headline, the failing models and their first reasons; escaped
    for Slack's markup), and `command`, `status`, `exit_code`, `target`, `run_id`, `totals`, `models` for machines."""
    lines = [outcome.headline()]
    if outcome.message:
        lines.append(outcome.message)
    failing = outcome.failing()
    for model in failing[:_MODELS_SHOWN]:
        reasons = list(model.failures_by_reason().items())[:_REASONS_SHOWN]
        why = "; ".join(f"{rows} rows: {reason}" for reason, rows in reasons) or model.message
        lines.append(f"- {model.model} ({model.object}) {model.status.upper()}" + (f": {why}" if why else ""))
    if len(failing) > _MODELS_SHOWN:
        lines.append(f"- and {len(failing) - _MODELS_SHOWN} more models")
    if outcome.run_id:
        lines.append(f"run id {outcome.run_id}")
    models = [
        {
            "model": m.model,
            "object": m.object,
            "status": m.status,
            **{k: getattr(m, k) for k in COUNTS},
            "message": m.message,
            "reasons": dict(list(m.failures_by_reason().items())[:_REASONS_SHOWN]),
        }
        for m in outcome.models
    ]
    message = {
        "text": _slack_escaped("\n".join(lines)),
        "command": outcome.command,
        "status": outcome.state,
        "exit_code": outcome.exit_code,
        "target": outcome.target,
        "run_id": outcome.run_id,
        "totals": outcome.totals(),
        "models": models,
    }
    masked: dict[str, Any] = _masked(message, secrets)
    return masked


def _slack_escaped(text: str) -> str:
    """Slack reads `<...>` in text as a link or mention: &, < and > are escaped as it documents."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _masked(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, _MASK)
        return value
    if isinstance(value, dict):
        return {k: _masked(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, secrets) for v in value]
    return value


def post(url: str, message: Mapping[str, Any], timeout: float = TIMEOUT) -> str | None:
    """Post the message once; None when the receiver took it (2xx), otherwise a warning that names
    only the webhook's host. urllib's opener goes through HTTPS_PROXY/NO_PROXY, as the Pendo client does
    (imported here: `import pendo_sync` stays cheap)."""
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        url, data=json.dumps(message).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", None)
        why = type(reason).__name__ if isinstance(reason, BaseException) else type(exc).__name__
        return f"Could not notify {host(url)}: {why} (the sync's outcome is unchanged)"
    if not 200 <= status < 300:
        return f"Could not notify {host(url)}: HTTP {status} (the sync's outcome is unchanged)"
    return None
