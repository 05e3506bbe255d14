"""Background work of the analysis app: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task


@task()
def enrich(*, item_ids: list[int]) -> int:
    from .services import enrich_items

    return enrich_items(item_ids=item_ids)
