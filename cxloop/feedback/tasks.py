"""Background work of the feedback store: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import(*, job_id: int) -> str:
    from .imports import import_run

    return import_run(job_id=job_id).status
