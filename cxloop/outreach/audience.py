"""Who a campaign is for: all customers, a segment (segment / plan / region / country), or a pasted list of
email addresses and customer ids; and the query that says, for each of them, why they may not be asked.

Read-only. `services.contact_check` and `services.audience_preview` are built on `with_reasons`, which adds
the suppression reason to any customer queryset as one SQL expression, so a whole list or segment is checked
in one query whatever its size.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Lower, NullIf

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import ServiceError
from cxloop.customers.models import Customer, Identity
from cxloop.customers.schemas import normalize_email

from .models import Bounce, Channel, Contact

MAX_ENTRIES = 10_000
SEGMENT_FIELDS = ("segment", "plan", "region", "country")
_SPLIT = re.compile(r"[\s,;]+")

# Suppression reasons, in the order they are checked (a customer is counted under the first that applies).
REASONS = {
    "unknown": "Not a customer of this workspace",
    "unsubscribed": "Unsubscribed",
    "consent_withdrawn": "Consent withdrawn",
    "no_email": "No email address",
    "no_phone": "No phone number",
    "bounced": "Email bounced before",
    "cooldown": "Asked recently (contact-frequency rule)",
}


def reason_label(reason: str, cooldown_days: int | None = None) -> str:
    if reason == "cooldown" and cooldown_days:
        days = f"{cooldown_days} day{'s' if cooldown_days != 1 else ''}"
        return f"Asked in the last {days} (any survey, any channel)"
    return REASONS.get(reason, reason)


@dataclass
class Audience:
    kind: str = "all"  # all | segment | list
    segment: str = ""
    plan: str = ""
    region: str = ""
    country: str = ""
    entries: str = ""  # pasted email addresses and customer ids

    KINDS = ("all", "segment", "list")

    @classmethod
    def from_data(cls, data) -> Audience:
        """From a form's POST or a JSON dict; unknown kinds are refused by name."""
        kind = (data.get("audience") or data.get("kind") or "all").strip()
        if kind not in cls.KINDS:
            raise ServiceError(f"Audience {kind!r} is not one of: all, segment, list.", field="audience")
        values = {f: (data.get(f) or "").strip()[:60] for f in SEGMENT_FIELDS}
        return cls(kind=kind, entries=(data.get("entries") or "")[:1_000_000], **values)

    def to_json(self) -> dict:
        out = asdict(self)
        if self.kind != "list":
            out.pop("entries")
        if self.kind != "segment":
            for f in SEGMENT_FIELDS:
                out.pop(f)
        return out

    def filters(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in SEGMENT_FIELDS if getattr(self, f)}

    def label(self) -> str:
        if self.kind == "all":
            return "All customers"
        if self.kind == "segment":
            chosen = self.filters()
            return (
                "Customers with " + ", ".join(f"{k} {v}" for k, v in chosen.items())
                if chosen
                else "All customers"
            )
        return "A pasted list"


def parse_entries(text: str) -> tuple[list[int], list[str]]:
    """Customer ids and normalised email addresses from pasted text (one a line, or separated by commas,
    semicolons or spaces). A token that is neither is refused, naming it and its line."""
    ids: list[int] = []
    emails: list[str] = []
    count = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        for token in _SPLIT.split(line.strip()):
            if not token:
                continue
            count += 1
            if count > MAX_ENTRIES:
                raise ServiceError(
                    f"The list has more than {MAX_ENTRIES:,} entries; send it in parts or use a segment.",
                    field="entries",
                )
            if token.isdigit():
                ids.append(int(token))
                continue
            try:
                emails.append(normalize_email(token.strip("<>\"'")))
            except ValueError:
                raise ServiceError(
                    f"Line {line_no}: {token!r} is neither an email address nor a customer id.",
                    field="entries",
                ) from None
    if not count:
        raise ServiceError("Paste at least one email address or customer id.", field="entries")
    return list(dict.fromkeys(ids)), list(dict.fromkeys(emails))


def resolve(workspace: Workspace, audience: Audience) -> tuple[QuerySet, list[str]]:
    """The audience's customers (merged profiles count as the one they were merged into), and the pasted
    entries that matched nobody."""
    base = Customer.objects.filter(workspace=workspace, merged_into__isnull=True)
    if audience.kind == "all":
        return base, []
    if audience.kind == "segment":
        return base.filter(**{f"{k}__iexact": v for k, v in audience.filters().items()}), []
    ids, emails = parse_entries(audience.entries)
    found: set[int] = set()
    unmatched: list[str] = []
    if ids:
        rows = dict(
            Customer.objects.filter(workspace=workspace, pk__in=ids).values_list("pk", "merged_into_id")
        )
        for cid in ids:
            if cid in rows:
                found.add(rows[cid] or cid)
            else:
                unmatched.append(str(cid))
    if emails:
        owner = dict(
            Identity.objects.filter(
                workspace=workspace, kind=Identity.Kind.EMAIL, value__in=emails
            ).values_list("value", "customer_id")
        )
        for pk, email in (
            Customer.objects.filter(workspace=workspace, merged_into__isnull=True)
            .annotate(lower=Lower("email"))
            .filter(lower__in=[e for e in emails if e not in owner])
            .values_list("pk", "lower")
        ):
            owner.setdefault(email, pk)
        for email in emails:
            if email in owner:
                found.add(owner[email])
            else:
                unmatched.append(email)
    return base.filter(pk__in=found), unmatched


def with_reasons(
    qs: QuerySet, *, workspace: Workspace, channel: str, cooldown_days: int, now: datetime
) -> QuerySet:
    """The customers annotated with `email_address`, `phone_number` and `reason` (None: may be asked)."""
    identity = Identity.objects.filter(customer=OuterRef("pk")).order_by("is_alias", "pk").values("value")
    qs = qs.annotate(
        email_address=Coalesce(
            NullIf(Lower("email"), Value("")), Subquery(identity.filter(kind=Identity.Kind.EMAIL)[:1])
        ),
        phone_number=Subquery(identity.filter(kind=Identity.Kind.PHONE)[:1]),
    )
    # A profile merged into this one is the same person: their unsubscribe and their contacts count too.
    merged = Customer.objects.filter(merged_into=OuterRef("pk"))
    whens = [
        When(
            Q(unsubscribed_at__isnull=False) | Exists(merged.filter(unsubscribed_at__isnull=False)),
            then=Value("unsubscribed"),
        ),
        When(consent=Customer.Consent.WITHDRAWN, then=Value("consent_withdrawn")),
    ]
    if channel == Channel.EMAIL:
        bounced = Bounce.objects.filter(workspace=workspace, address=OuterRef("email_address"))
        whens += [
            When(email_address__isnull=True, then=Value("no_email")),
            When(Exists(bounced), then=Value("bounced")),
        ]
    elif channel == Channel.SMS:
        whens.append(When(phone_number__isnull=True, then=Value("no_phone")))
    if cooldown_days:
        since = now - timedelta(days=cooldown_days)
        recent = Contact.objects.filter(customer=OuterRef("pk"), contacted_at__gte=since)
        recent_merged = Contact.objects.filter(customer__merged_into=OuterRef("pk"), contacted_at__gte=since)
        whens.append(When(Exists(recent) | Exists(recent_merged), then=Value("cooldown")))
    return qs.annotate(reason=Case(*whens, default=Value(None), output_field=CharField()))


def suppressed_counts(qs: QuerySet) -> dict[str, int]:
    """{reason or "": customers} of an annotated queryset, in one GROUP BY query."""
    rows = qs.order_by().values("reason").annotate(n=Count("pk")).values_list("reason", "n")
    return {reason or "": n for reason, n in rows}


def segment_values(workspace: Workspace) -> dict[str, list[str]]:
    """The values each segment field takes in the workspace (for the audience form's choices)."""
    base = Customer.objects.filter(workspace=workspace, merged_into__isnull=True)
    return {
        f: list(base.exclude(**{f: ""}).order_by(f).values_list(f, flat=True).distinct()[:200])
        for f in SEGMENT_FIELDS
    }
