from __future__ import annotations

from ninja.security import HttpBearer

from .services import api_key_authenticate


class ScopeError(Exception):
    pass


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
        request.api_key = key
        request.workspace = key.workspace
        return key


read_key = ApiKeyAuth("read")
write_key = ApiKeyAuth("write")
