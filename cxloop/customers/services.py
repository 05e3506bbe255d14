"""Writes of the customers domain: identity resolution, profiles, merge, erase, events."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cxloop.accounts.models import AuditEvent, User, Workspace
from cxloop.accounts.services import audit_record
from cxloop.core.bulk import insert_rows, update_rows
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.core.request_meta import SYSTEM, RequestMeta

from .models import Customer, Event, Identity
from .schemas import CustomerRef, EventIn

_PROFILE_FIELDS = ("name", "plan", "segment", "country", "region", "lifetime_value", "signup_at", "consent")


def _apply_profile(customer: Customer, ref: CustomerRef) -> list[str]:
    """Copy the profile fields the reference carries onto the customer; return the changed field names."""
    changed = []
    for field in _PROFILE_FIELDS:
        value = getattr(ref, field)
        if value is not None and getattr(customer, field) != value:
            setattr(customer, field, value)
            changed.append(field)
    if ref.email and not customer.email:
        customer.email = ref.email
        changed.append("email")
    if ref.attributes:
        merged = {**customer.attributes, **ref.attributes}
        if merged != customer.attributes:
            customer.attributes = merged
            changed.append("attributes")
    if ref.consent == Customer.Consent.WITHDRAWN and customer.unsubscribed_at is None:
        customer.unsubscribed_at = timezone.now()
        changed.append("unsubscribed_at")
    return changed


def _identity_query(pairs: set[tuple[str, str]]) -> Q:
    by_kind: dict[str, list[str]] = {}
    for kind, value in pairs:
        by_kind.setdefault(kind, []).append(value)
    query = Q(pk__in=[])
    for kind, values in by_kind.items():
        query |= Q(kind=kind, value__in=values)
    return query


def stored_by_external_id(queryset, keyed: set[tuple[str, str]]) -> dict[tuple[str, str], object]:
    """The rows of `queryset` whose (source, external_id) is one of `keyed`, by that pair.

    One OR term per source, at most 100 terms a query: SQLite refuses expressions deeper than 1,000, which
    one term per item of a 1,000-item batch would be."""
    by_source: dict[str, set[str]] = {}
    for source, ext in keyed:
        by_source.setdefault(source, set()).add(ext)
    sources = sorted(by_source)
    found = {}
    for start in range(0, len(sources), 100):
        query = Q(pk__in=[])
        for source in sources[start : start + 100]:
            query |= Q(source=source, external_id__in=sorted(by_source[source]))
        found.update({(row.source, row.external_id): row for row in queryset.filter(query)})
    return found


def customers_resolve(*, workspace: Workspace, refs: list[CustomerRef | None]) -> list[Customer | None]:
    """Find or create the customer behind each reference, in as few queries as a batch allows.

    A reference matches an existing customer by any identity (CRM id first, then email, phone, social handle);
    merged customers resolve to the one they were merged into. References in the same batch that share an
    identity become the same new customer. Identities a reference brings that nobody has yet are attached to
    its customer; an identity that already belongs to someone else is left where it is.
    """
    results: list[Customer | None] = [None] * len(refs)
    wanted_ids = {r.id for r in refs if r is not None and r.id is not None}
    by_pk = (
        {c.pk: c for c in Customer.objects.filter(workspace=workspace, pk__in=wanted_ids)}
        if wanted_ids
        else {}
    )
    all_pairs = {pair for r in refs if r is not None for pair in r.identities()}
    owner_of: dict[tuple[str, str], int] = {}
    if all_pairs:
        for kind, value, customer_id in Identity.objects.filter(
            _identity_query(all_pairs), workspace=workspace
        ).values_list("kind", "value", "customer_id"):
            owner_of[(kind, value)] = customer_id
    needed = set(owner_of.values()) - set(by_pk)
    if needed:
        by_pk.update({c.pk: c for c in Customer.objects.filter(workspace=workspace, pk__in=needed)})
    # follow merges (one level is all merge ever leaves: merged customers' identities move to the winner)
    for customer in list(by_pk.values()):
        if customer.merged_into_id and customer.merged_into_id not in by_pk:
            target = Customer.objects.filter(workspace=workspace, pk=customer.merged_into_id).first()
            if target is not None:
                by_pk[target.pk] = target

    def canonical(customer: Customer) -> Customer:
        return by_pk.get(customer.merged_into_id, customer) if customer.merged_into_id else customer

    new_by_pair: dict[tuple[str, str], Customer] = {}
    to_create: list[Customer] = []
    touched: dict[int, Customer] = {}  # existing profiles whose fields the references changed
    for i, ref in enumerate(refs):
        if ref is None:
            continue
        customer = None
        if ref.id is not None:
            customer = by_pk.get(ref.id)
            if customer is None:
                raise NotFound(f"No customer with id {ref.id} in this workspace.")
        if customer is None:
            for pair in ref.identities():
                if pair in owner_of:
                    customer = by_pk[owner_of[pair]]
                    break
                if pair in new_by_pair:
                    customer = new_by_pair[pair]
                    break
        if customer is None:
            if not ref.identities() and not ref.name:
                continue  # nothing to recognise them by: anonymous
            customer = Customer(workspace=workspace)
            to_create.append(customer)
        customer = canonical(customer)
        if _apply_profile(customer, ref):
            touched[id(customer)] = customer
        for pair in ref.identities():
            if pair not in owner_of:
                new_by_pair.setdefault(pair, customer)
        results[i] = customer

    now = timezone.now()
    if to_create:
        for customer in to_create:
            customer.created_at = customer.updated_at = now
            customer.was_created = True  # transient: tells callers which profiles are new
        fields = [
            "workspace",
            "name",
            "email",
            *_PROFILE_FIELDS[1:],
            "attributes",
            "unsubscribed_at",
            "created_at",
            "updated_at",
        ]
        pks = insert_rows(
            Customer, fields, [[getattr(c, f) for f in fields] for c in to_create], returning_pk=True
        )
        for customer, pk in zip(to_create, pks, strict=True):
            customer.pk = customer.id = pk
            customer._state.adding = False
    created_ids = {id(c) for c in to_create}
    changed = [c for key, c in touched.items() if key not in created_ids]
    if changed:
        for customer in changed:
            customer.updated_at = now
        fields = [*_PROFILE_FIELDS, "email", "attributes", "unsubscribed_at", "updated_at"]
        update_rows(Customer, fields, [[c.pk, *(getattr(c, f) for f in fields)] for c in changed])
    if new_by_pair:
        insert_rows(
            Identity,
            ["workspace", "customer", "kind", "value", "is_alias", "created_at"],
            [(workspace.pk, c.pk, k, v, False, now) for (k, v), c in new_by_pair.items()],
            ignore_conflicts=True,
        )
    return results


def customer_upsert(*, workspace: Workspace, ref: CustomerRef) -> tuple[Customer, bool]:
    """Create a customer, or update the one its identities find. Returns (customer, created)."""
    with transaction.atomic():
        (customer,) = customers_resolve(workspace=workspace, refs=[ref])
    if customer is None:
        raise ServiceError("A customer needs at least one of external_id, email, phone or social.")
    return customer, getattr(customer, "was_created", False)


def customer_unsubscribe(*, workspace: Workspace, customer_id: int) -> Customer:
    """Record that a customer asked not to be contacted again (an unsubscribe link): surveys are no longer
    sent to them. Unsubscribing again keeps the first time; a merged customer's id unsubscribes the profile it
    was merged into."""
    customer = Customer.objects.filter(workspace=workspace, pk=customer_id).first()
    if customer is not None and customer.merged_into_id:
        customer = Customer.objects.filter(workspace=workspace, pk=customer.merged_into_id).first()
    if customer is None:
        raise NotFound(f"No customer with id {customer_id} in this workspace.")
    if customer.unsubscribed_at is None:
        customer.unsubscribed_at = customer.updated_at = timezone.now()
        customer.save(update_fields=["unsubscribed_at", "updated_at"])
    return customer


@transaction.atomic
def customer_merge(
    *,
    workspace: Workspace,
    keep_id: int,
    merge_id: int,
    actor: User | None = None,
    actor_key=None,
    meta: RequestMeta = SYSTEM,
) -> Customer:
    """Merge customer `merge_id` into `keep_id`: feedback, events and identities move; the merged id
    stays as an alias that resolves to the kept customer."""
    from cxloop.feedback.models import FeedbackItem

    if keep_id == merge_id:
        raise ServiceError("A customer cannot be merged into itself.")
    found = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(
            workspace=workspace, pk__in=[keep_id, merge_id], merged_into__isnull=True
        )
    }
    if keep_id not in found or merge_id not in found:
        raise NotFound("Both customers must exist in this workspace and not be merged already.")
    keep, gone = found[keep_id], found[merge_id]
    moved_items = FeedbackItem.objects.filter(workspace=workspace, customer=gone).update(customer=keep)
    moved_events = Event.objects.filter(workspace=workspace, customer=gone).update(customer=keep)
    Identity.objects.filter(workspace=workspace, customer=gone).update(customer=keep, is_alias=True)
    changed = []
    for field in (*_PROFILE_FIELDS, "email"):
        if getattr(keep, field) in ("", None) and getattr(gone, field) not in ("", None):
            setattr(keep, field, getattr(gone, field))
            changed.append(field)
    keep.attributes = {**gone.attributes, **keep.attributes}
    keep.updated_at = timezone.now()
    keep.save(update_fields=[*changed, "attributes", "updated_at"])
    gone.merged_into = keep
    gone.updated_at = keep.updated_at
    gone.save(update_fields=["merged_into", "updated_at"])
    Customer.objects.filter(workspace=workspace, merged_into=gone).update(merged_into=keep)
    audit_record(
        action=AuditEvent.Action.CUSTOMER_MERGED,
        workspace=workspace,
        actor=actor,
        actor_key=actor_key,
        meta=meta,
        target=f"customer {merge_id} → {keep_id}",
        data={"kept": keep_id, "merged": merge_id, "feedback": moved_items, "events": moved_events},
    )
    return keep


@transaction.atomic
def customer_erase(
    *,
    workspace: Workspace,
    customer_id: int,
    actor: User | None = None,
    actor_key=None,
    meta: RequestMeta = SYSTEM,
) -> dict[str, int]:
    """Erase a customer and everything about them (GDPR art. 17): profile, identities, events, feedback.
    Customers merged into this one are erased too. The audit log keeps only the ids and counts."""
    from cxloop.feedback.models import FeedbackItem

    customer = Customer.objects.filter(workspace=workspace, pk=customer_id, merged_into__isnull=True).first()
    if customer is None:
        raise NotFound(f"No customer with id {customer_id} in this workspace.")
    ids = [
        customer.pk,
        *Customer.objects.filter(workspace=workspace, merged_into=customer).values_list("pk", flat=True),
    ]
    # Their addresses leave the bounce list too: a suppression entry would keep the address after erasure.
    from cxloop.outreach.models import Bounce

    emails = {
        e.lower()
        for e in [
            *Customer.objects.filter(workspace=workspace, pk__in=ids).values_list("email", flat=True),
            *Identity.objects.filter(
                workspace=workspace, customer_id__in=ids, kind=Identity.Kind.EMAIL
            ).values_list("value", flat=True),
        ]
        if e
    }
    Bounce.objects.filter(workspace=workspace, address__in=emails).delete()
    items = FeedbackItem.objects.filter(workspace=workspace, customer_id__in=ids)
    feedback = items.count()
    items.delete()
    events = Event.objects.filter(workspace=workspace, customer_id__in=ids)
    event_count = events.count()
    events.delete()
    Customer.objects.filter(workspace=workspace, pk__in=ids).delete()
    counts = {"customers": len(ids), "feedback_items": feedback, "events": event_count}
    audit_record(
        action=AuditEvent.Action.CUSTOMER_ERASED,
        workspace=workspace,
        actor=actor,
        actor_key=actor_key,
        meta=meta,
        target=f"customer {customer_id}",
        data=counts,
    )
    return counts


def plan_new_rows(*, workspace: Workspace, items: list, queryset, build) -> tuple[list, list]:
    """The part of storing feedback or events that is the same for both: find what is stored already,
    resolve the customers of the rest, and build the new model objects.

    `build(data, customer, now)` makes one unsaved object. An input whose (source, external_id) is already
    stored, or repeated earlier in the batch, is answered with that object instead of a new one.
    Returns (out, rows): out is (object, created) per input in order; rows is (new object, its input).
    """
    keyed = {(i.source, i.external_id) for i in items if i.external_id}
    existing = stored_by_external_id(queryset, keyed)
    customers = customers_resolve(
        workspace=workspace,
        refs=[None if i.external_id and (i.source, i.external_id) in existing else i.customer for i in items],
    )
    now = timezone.now()
    out: list[tuple[object, bool]] = []
    rows: list[tuple[object, object]] = []
    seen: dict[tuple[str, str], object] = {}
    for data, customer in zip(items, customers, strict=True):
        key = (data.source, data.external_id) if data.external_id else None
        if key in existing or key in seen:
            out.append((existing.get(key) or seen[key], False))
            continue
        obj = build(data, customer, now)
        if key is not None:
            seen[key] = obj
        rows.append((obj, data))
        out.append((obj, True))
    return out, rows


def insert_new(model, fields: list[str], rows: list[tuple[object, object]]) -> None:
    """Insert the objects planned by plan_new_rows and give them their primary keys."""
    pks = insert_rows(
        model, fields, [[getattr(obj, f) for f in fields] for obj, _ in rows], returning_pk=True
    )
    for (obj, _), pk in zip(rows, pks, strict=True):
        obj.pk = obj.id = pk
        obj._state.adding = False


EVENT_FIELDS = [
    "workspace",
    "customer",
    "name",
    "source",
    "external_id",
    "occurred_at",
    "received_at",
    "properties",
]


@transaction.atomic
def events_create(*, workspace: Workspace, items: list[EventIn]) -> list[tuple[Event, bool]]:
    """Store events; one whose (source, external_id) is already stored, or repeated in the same batch, is
    returned as it is, not duplicated. Returns (event, created) per input, in order."""
    out, rows = plan_new_rows(
        workspace=workspace,
        items=items,
        queryset=Event.objects.filter(workspace=workspace),
        build=lambda data, customer, now: Event(
            workspace=workspace,
            customer=customer,
            name=data.name,
            source=data.source,
            external_id=data.external_id,
            occurred_at=data.occurred_at,
            received_at=now,
            properties=data.properties,
        ),
    )
    insert_new(Event, EVENT_FIELDS, rows)
    return out


def event_erase(*, workspace: Workspace, event_id: int) -> None:
    deleted, _ = Event.objects.filter(workspace=workspace, pk=event_id).delete()
    if not deleted:
        raise NotFound(f"No event with id {event_id} in this workspace.")


def customer_export(
    *,
    workspace: Workspace,
    customer_id: int,
    actor: User | None = None,
    actor_key=None,
    meta: RequestMeta = SYSTEM,
) -> dict:
    """Everything stored about a customer (GDPR art. 15/20), as JSON-able data; the export is audited."""
    from cxloop.feedback.models import FeedbackItem

    customer = Customer.objects.filter(workspace=workspace, pk=customer_id, merged_into__isnull=True).first()
    if customer is None:
        raise NotFound(f"No customer with id {customer_id} in this workspace.")
    ids = [
        customer.pk,
        *Customer.objects.filter(workspace=workspace, merged_into=customer).values_list("pk", flat=True),
    ]
    profile = {
        f: getattr(customer, f)
        for f in (
            "name",
            "email",
            "plan",
            "segment",
            "country",
            "region",
            "lifetime_value",
            "signup_at",
            "attributes",
            "consent",
            "unsubscribed_at",
            "created_at",
            "updated_at",
        )
    }
    data = {
        "customer": {"id": customer.pk, **profile, "merged_ids": ids[1:]},
        "identities": list(
            Identity.objects.filter(workspace=workspace, customer=customer).values(
                "kind", "value", "is_alias", "created_at"
            )
        ),
        "feedback": [
            {
                "id": item.pk,
                "channel": item.channel,
                "source": item.source,
                "touchpoint": item.touchpoint,
                "external_id": item.external_id,
                "occurred_at": item.occurred_at,
                "language": item.language,
                "title": item.title,
                "text": item.text,
                "metadata": item.metadata,
                "answers": [
                    {"key": a.key, "type": a.type, "value": a.value, "text": a.text, "choices": a.choices}
                    for a in item.answers.all()
                ],
            }
            for item in FeedbackItem.objects.filter(workspace=workspace, customer_id__in=ids)
            .prefetch_related("answers")
            .order_by("occurred_at", "pk")
        ],
        "events": list(
            Event.objects.filter(workspace=workspace, customer_id__in=ids)
            .order_by("occurred_at", "pk")
            .values("name", "source", "external_id", "occurred_at", "properties")
        ),
    }
    audit_record(
        action=AuditEvent.Action.EXPORT,
        workspace=workspace,
        actor=actor,
        actor_key=actor_key,
        meta=meta,
        target=f"customer {customer_id}",
        data={"feedback": len(data["feedback"]), "events": len(data["events"])},
    )
    return data
