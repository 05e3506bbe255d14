from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from .api_auth import read_key

router = Router(tags=["account"])


class HealthOut(Schema):
    status: str


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str


class MeOut(Schema):
    workspace: WorkspaceOut
    key_name: str
    key_prefix: str
    scopes: list[str]
    created_at: datetime


@router.get("/health", response=HealthOut, auth=None, summary="Liveness and database check")
def health(request):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}


@router.get("/me", response=MeOut, auth=read_key, summary="The workspace and scopes of the calling key")
def me(request):
    key = request.auth
    return {
        "workspace": key.workspace,
        "key_name": key.name,
        "key_prefix": key.prefix,
        "scopes": key.scopes,
        "created_at": key.created_at,
    }
