from __future__ import annotations

from django.conf import settings
from ninja.security import HttpBearer

from cxloop.core import ratelimit

from .services import api_key_authenticate


class ScopeError(Exception):
    pass


class RateLimited(Exception):
    def __init__(self, retry_after: int, limit: int):
        super().__init__(f"More than {limit} requests a minute with this key.")
        self.retry_after = retry_after


class ApiKeyAuth(HttpBearer):
    """Bearer API key. Sets request.api_key and request.workspace: the workspace always comes from the key."""

    def __init__(self, scope: str = "read"):
        super().__init__()
        self.scope = scope

    def authenticate(self, request, token: str):
        key = api_key_authenticate(token)
        if key is None:
            return None
        if not key.has_scope(self.scope):
            raise ScopeError(
                f"This key has the scopes {', '.join(key.scopes)}; this call needs '{self.scope}'."
            )
        state = ratelimit.hit(f"api:{key.pk}", limit=settings.API_RATE_LIMIT_PER_MINUTE, window_seconds=60)
        if state.exceeded:
            raise RateLimited(state.retry_after, state.limit)
        request.api_key = key
        request.workspace = key.workspace
        return key


read_key = ApiKeyAuth("read")
write_key = ApiKeyAuth("write")
