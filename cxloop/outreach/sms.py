"""Sending a text message through a Twilio-compatible HTTP API.

POST {CXLOOP_SMS_API_URL}/2010-04-01/Accounts/{sid}/Messages.json with the form fields To, From and Body,
authenticated by HTTP basic auth (account SID, auth token). The channel is off unless the SID, the token and
the sender are all configured.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

from django.conf import settings

TIMEOUT_SECONDS = 15
OFF_MESSAGE = (
    "SMS is not configured: set CXLOOP_SMS_ACCOUNT_SID, CXLOOP_SMS_AUTH_TOKEN and CXLOOP_SMS_FROM "
    "(and CXLOOP_SMS_API_URL for a provider other than Twilio) to send invitations by text message."
)


class SmsError(Exception):
    """The provider refused the message or could not be reached; the message says why."""


def sms_configured() -> bool:
    return bool(settings.SMS_ACCOUNT_SID and settings.SMS_AUTH_TOKEN and settings.SMS_FROM)


def _error_text(status: int, body: bytes) -> str:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if isinstance(data, dict) and data.get("message"):
        code = f" (code {data['code']})" if data.get("code") else ""
        return f"SMS provider answered {status}{code}: {data['message']}"[:1000]
    text = body.decode("utf-8", "replace").strip()
    return f"SMS provider answered {status}: {text[:300] or 'no details'}"


def sms_send(*, to: str, body: str) -> str:
    """Send one text message; returns the provider's message id. Raises SmsError."""
    if not sms_configured():
        raise SmsError(OFF_MESSAGE)
    sid = settings.SMS_ACCOUNT_SID
    url = f"{settings.SMS_API_URL}/2010-04-01/Accounts/{quote(sid, safe='')}/Messages.json"
    data = urlencode({"To": to, "From": settings.SMS_FROM, "Body": body}).encode()
    credentials = base64.b64encode(f"{sid}:{settings.SMS_AUTH_TOKEN}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting (http or https)
        url,
        data=data,
        method="POST",
        headers={
            "Authorization": f"Basic {credentials}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            payload = answer.read()
    except urllib.error.HTTPError as exc:
        raise SmsError(_error_text(exc.code, exc.read())) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SmsError(f"SMS provider not reachable at {settings.SMS_API_URL}: {reason}") from None
    try:
        return str(json.loads(payload.decode("utf-8")).get("sid", ""))
    except (UnicodeDecodeError, ValueError, AttributeError):
        return ""
