"""Incoming webhooks: verify, store raw, map, ingest; dead letters can be fixed and replayed.

Standard Webhooks (standardwebhooks.com): the signature is `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
with the secret's base64 part as key; timestamps more than 5 minutes away are refused, so a captured request
cannot be replayed later; a repeated webhook-id is acknowledged without being processed twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from django.db import IntegrityError, transaction

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import NotFound, PermissionDenied, ServiceError

from .mapping import MappingError, RecordError, map_record, validate_mapping
from .models import WebhookDelivery, WebhookEndpoint

TOLERANCE_SECONDS = 5 * 60
MAX_BODY = 1024 * 1024


class SignatureError(PermissionDenied):
    status = 401


class PayloadTooLarge(ServiceError):
    status = 413


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _secret_bytes(secret: str) -> bytes:
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        return raw.encode()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(endpoint: WebhookEndpoint, headers, body: bytes, *, now: float | None = None) -> str:
    """Check a request's authenticity; return its webhook id ('' when the sender gives none)."""
    if endpoint.verification == WebhookEndpoint.Verification.SHARED_SECRET:
        given = headers.get(endpoint.secret_header or "X-Webhook-Secret", "")
        if not given or not hmac.compare_digest(given.encode(), endpoint.secret.encode()):
            raise SignatureError(f"The {endpoint.secret_header} header is missing or wrong.")
        return headers.get("webhook-id", "") or headers.get("X-Request-Id", "")
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (webhook_id and timestamp and signatures):
        raise SignatureError("Missing webhook-id, webhook-timestamp or webhook-signature header.")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a Unix time in seconds.") from None
    now = time.time() if now is None else now
    if abs(now - ts) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is more than 5 minutes away from now: refused as a replay.")
    expected = sign(endpoint.secret, webhook_id, ts, body)
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode(), expected.encode()):
            return webhook_id
    raise SignatureError("webhook-signature does not match the body.")


def endpoint_create(
    *,
    workspace: Workspace,
    name: str,
    mapping: dict,
    verification: str = "standard",
    secret_header: str = "X-Webhook-Secret",
) -> WebhookEndpoint:
    name = (name or "").strip()
    if not name:
        raise ServiceError("Give the endpoint a name.", field="name")
    if verification not in WebhookEndpoint.Verification.values:
        raise ServiceError("Unknown verification.", field="verification")
    try:
        validate_mapping(mapping)
    except MappingError as exc:
        raise ServiceError(f"Mapping: {exc}", field="mapping") from None
    secret = new_secret() if verification == "standard" else secrets.token_urlsafe(32)
    return WebhookEndpoint.objects.create(
        workspace=workspace,
        name=name[:100],
        token=secrets.token_urlsafe(24),
        secret=secret,
        verification=verification,
        secret_header=secret_header.strip() or "X-Webhook-Secret",
        mapping=mapping,
    )


def endpoint_update_mapping(*, workspace: Workspace, endpoint_id: int, mapping: dict) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(workspace=workspace, pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint in this workspace.")
    try:
        validate_mapping(mapping)
    except MappingError as exc:
        raise ServiceError(f"Mapping: {exc}", field="mapping") from None
    endpoint.mapping = mapping
    endpoint.save(update_fields=["mapping"])
    return endpoint


def _parse_json(text: str):
    """json.loads, with every way a body fails to parse reported as a JSONDecodeError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise json.JSONDecodeError(str(exc), text, 0) from None


def _process(delivery: WebhookDelivery) -> WebhookDelivery:
    """Map and ingest a stored delivery; record the outcome on it (never raises for bad payloads)."""
    from .services import store_mapped

    endpoint = delivery.endpoint
    delivery.attempts += 1
    try:
        payload = _parse_json(delivery.body)
        records = payload if isinstance(payload, list) else [payload]
        mapped = []
        for index, record in enumerate(records):
            try:
                mapped.append(map_record(endpoint.mapping, record))
            except RecordError as exc:
                if not isinstance(payload, list):
                    raise
                # name the record of the list that is wrong: "[3].occurred_at: Field required"
                located = [(f"[{index}]" + (f".{loc}" if loc else ""), msg) for loc, msg in exc.errors]
                raise RecordError(located) from None
        mapped = [m for m in mapped if m is not None]
        if not mapped:
            delivery.status, delivery.error = WebhookDelivery.Status.SKIPPED, ""
        else:
            kind = endpoint.mapping.get("kind", "feedback")
            ((first, _), *_) = store_mapped(workspace=delivery.workspace, kind=kind, items=mapped)
            if kind == "event":
                delivery.event = first
            else:
                delivery.feedback_item = first
            delivery.status, delivery.error = WebhookDelivery.Status.STORED, ""
    except json.JSONDecodeError as exc:
        delivery.status, delivery.error = WebhookDelivery.Status.FAILED, f"Body is not JSON: {exc}"
    except (RecordError, MappingError, ServiceError) as exc:
        delivery.status, delivery.error = WebhookDelivery.Status.FAILED, str(exc)
    delivery.save(update_fields=["status", "error", "attempts", "feedback_item", "event"])
    return delivery


def webhook_receive(*, token: str, headers, body: bytes) -> tuple[WebhookDelivery, bool]:
    """Verify and store a payload, then process it. Returns (delivery, is_new)."""
    endpoint = WebhookEndpoint.objects.select_related("workspace").filter(token=token, is_active=True).first()
    if endpoint is None:
        raise NotFound("No active webhook endpoint at this address.")
    if len(body) > MAX_BODY:
        raise PayloadTooLarge(f"Payload over {MAX_BODY:,} bytes.")
    webhook_id = verify(endpoint, headers, body)
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                workspace=endpoint.workspace,
                endpoint=endpoint,
                webhook_id=webhook_id[:200],
                # kept as text; a raw NUL (never valid JSON) cannot be stored in PostgreSQL text
                body=body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
            )
    except IntegrityError:
        existing = WebhookDelivery.objects.get(endpoint=endpoint, webhook_id=webhook_id[:200])
        return existing, False
    delivery.endpoint = endpoint
    return _process(delivery), True


def delivery_replay(*, workspace: Workspace, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.select_related("endpoint").filter(workspace=workspace, pk=delivery_id).first()
    )
    if delivery is None:
        raise NotFound("No such delivery in this workspace.")
    if delivery.status == WebhookDelivery.Status.STORED:
        raise ServiceError("This delivery was stored already.")
    return _process(delivery)
