"""`Idempotency-Key` for API writes: the first answer is stored with the request's fingerprint, and a retry
with the same key and the same request gets that answer again instead of doing the work twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder

from .exceptions import Conflict, ServiceError
from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(record.body, status=record.status_code, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def run_idempotent(request, workspace, produce: Callable[[], tuple[int, object]]) -> HttpResponse:
    """Run `produce() -> (status, body)` at most once per Idempotency-Key in this workspace.

    The body is encoded like every other API answer (ninja's encoder), so a created item reads the same as
    when it is fetched later."""
    key = request.META.get(HEADER, "").strip()
    if not key:
        with transaction.atomic():
            status, body = produce()
        return HttpResponse(
            json.dumps(body, cls=NinjaJSONEncoder), status=status, content_type="application/json"
        )
    if len(key) > 200:
        raise ServiceError("Idempotency-Key is longer than 200 characters.", field="Idempotency-Key")
    fingerprint = _fingerprint(request)
    existing = IdempotencyRecord.objects.filter(workspace=workspace, key=key).first()
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise Conflict("This Idempotency-Key was already used for a different request.")
        return _replay(existing)
    try:
        with transaction.atomic():
            status, body = produce()
            text = json.dumps(body, cls=NinjaJSONEncoder)
            IdempotencyRecord.objects.create(
                workspace=workspace, key=key, fingerprint=fingerprint, status_code=status, body=text
            )
    except IntegrityError:
        # A concurrent request with the same key won the race: answer what it stored.
        existing = IdempotencyRecord.objects.filter(workspace=workspace, key=key).first()
        if existing is None:
            raise
        if existing.fingerprint != fingerprint:
            raise Conflict("This Idempotency-Key was already used for a different request.") from None
        return _replay(existing)
    return HttpResponse(text, status=status, content_type="application/json")
