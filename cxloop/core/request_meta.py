from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestMeta:
    """Where an action came from, for the audit log and rate limits."""

    ip: str | None = None
    user_agent: str = ""

    @classmethod
    def from_request(cls, request) -> RequestMeta:
        ip = request.META.get("REMOTE_ADDR")
        if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
            # Behind a trusted reverse proxy the client is the last address it appended.
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
            if forwarded:
                ip = forwarded.split(",")[-1].strip()
        try:
            ip = str(ipaddress.ip_address(ip)) if ip else None
        except ValueError:
            ip = None
        return cls(ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


SYSTEM = RequestMeta(ip=None, user_agent="cxloop")
