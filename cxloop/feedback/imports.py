"""File imports: store the upload, preview it, then import it in bounded memory with a per-row report.

Rows are read one at a time, mapped and validated; valid rows are stored in chunks (each chunk one
transaction), invalid ones are reported with their row number, so nothing valid in a file is lost
because of a bad row.
Re-importing the same file creates no duplicates: rows are keyed by their mapped external_id, or, when the
mapping has none, by a hash of the row's content.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cxloop.accounts.models import User, Workspace
from cxloop.core.bulk import refresh_statistics
from cxloop.core.exceptions import NotFound, ServiceError

from .mapping import MappingError, RecordError, map_record, validate_mapping
from .models import ImportJob, ImportRowError
from .readers import FileProblem, detect_format, open_records

CHUNK = 2000
STATISTICS_AT = {
    1,
    5,
}  # chunks after which the planner's statistics are refreshed, then every 25th (50k rows)
MAX_UPLOAD = 2 * 1024 * 1024 * 1024  # 2 GiB


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            count += chunk.count(b"\n")
    return max(count, 1)


def import_upload(
    *, workspace: Workspace, user: User | None, filename: str, chunks: Iterable[bytes]
) -> ImportJob:
    """Store an uploaded file (streamed to disk) and create its job. The format comes from the file name."""
    try:
        fmt = detect_format(filename)
    except FileProblem as exc:
        raise ServiceError(str(exc), field="file") from None
    name = f"{workspace.pk}-{uuid.uuid4().hex}.{fmt}"
    target = imports_dir() / name
    digest, size = hashlib.sha256(), 0
    with open(target, "wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_UPLOAD:
                out.close()
                target.unlink(missing_ok=True)
                raise ServiceError(f"The file is over {MAX_UPLOAD // 2**30} GiB.", field="file")
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        target.unlink(missing_ok=True)
        raise ServiceError("The file is empty.", field="file")
    return ImportJob.objects.create(
        workspace=workspace,
        created_by=user,
        path=name,
        original_name=Path(filename).name[:255],
        format=fmt,
        size=size,
        sha256=digest.hexdigest(),
        rows_estimate=_count_lines(target),
    )


def import_from_path(*, workspace: Workspace, user: User | None, path: Path) -> ImportJob:
    with open(path, "rb") as fh:
        return import_upload(
            workspace=workspace, user=user, filename=path.name, chunks=iter(lambda: fh.read(1024 * 1024), b"")
        )


def job_file(job: ImportJob) -> Path:
    return imports_dir() / job.path


def import_start(*, workspace: Workspace, job_id: int, mapping: dict, dry_run: bool) -> ImportJob:
    """Check the mapping and queue the job for the worker."""
    from .tasks import run_import

    try:
        validate_mapping(mapping)
    except MappingError as exc:
        raise ServiceError(f"Mapping: {exc}", field="mapping") from None
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(workspace=workspace, pk=job_id).first()
        if job is None:
            raise NotFound("No such import in this workspace.")
        if job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
            raise ServiceError("This import is already running.")
        job.row_errors.all().delete()
        job.mapping, job.dry_run, job.status, job.error = mapping, dry_run, ImportJob.Status.QUEUED, ""
        job.processed_rows = job.created_count = job.existing_count = job.skipped_count = job.error_count = 0
        job.started_at = job.finished_at = None
        job.save()
        transaction.on_commit(lambda: run_import.enqueue(job_id=job.pk))
    return job


def _row_key(record: dict) -> str:
    canonical = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)
    # surrogatepass: a JSON line may hold a lone surrogate ("\ud800"); valid text hashes as before
    return "row:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def import_run(*, job_id: int, progress: Callable[[ImportJob], None] | None = None) -> ImportJob:
    """Run an import (or its dry run) to the end; the worker and `cxloop import` both call this."""
    from cxloop.customers.models import Customer, Event, Identity
    from cxloop.customers.services import stored_by_external_id

    from .models import Answer, FeedbackItem
    from .services import store_mapped

    job = ImportJob.objects.select_related("workspace").get(pk=job_id)
    job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at"])
    mapping = job.mapping or {}
    kind = mapping.get("kind", "feedback")
    pending: list = []
    seen_keys: set[int] = set()  # dry run: keys of earlier chunks
    errors: list[ImportRowError] = []
    chunks = [0]  # chunks stored so far
    analysed = (Event,) if kind == "event" else (FeedbackItem, Answer)
    analysed += (Customer, Identity)

    def store(items: list) -> list:
        return store_mapped(workspace=job.workspace, kind=kind, items=items)

    def flush():
        if pending and not job.dry_run:
            try:
                pairs = store([item for _, item in pending])
            except ServiceError:
                # a row the store refuses (e.g. a customer id not in this workspace): store the chunk row by
                # row, so only that row is reported and the valid ones around it are kept
                pairs = []
                for row_number, item in pending:
                    try:
                        pairs += store([item])
                    except ServiceError as exc:
                        job.error_count += 1
                        errors.append(ImportRowError(job=job, row_number=row_number, message=exc.message))
            created = sum(1 for _, new in pairs if new)
            job.created_count += created
            job.existing_count += len(pairs) - created
            chunks[0] += 1
            if chunks[0] in STATISTICS_AT or chunks[0] % 25 == 0:
                refresh_statistics(*analysed)
        elif pending:
            # a dry run counts what would be created: rows whose key is stored already, or came earlier in
            # the file, would not be (earlier keys are remembered as 8-byte digests: ~70 MB per million)
            keys = {(item.source, item.external_id) for _, item in pending}
            stored = stored_by_external_id(
                (Event if kind == "event" else FeedbackItem).objects.filter(workspace=job.workspace), keys
            )
            created = 0
            for key in keys:
                digest = int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "big")
                if key not in stored and digest not in seen_keys:
                    created += 1
                seen_keys.add(digest)
            job.created_count += created
            job.existing_count += len(pending) - created
        pending.clear()
        if errors:
            ImportRowError.objects.bulk_create(errors)
            errors.clear()
        job.save(
            update_fields=[
                "processed_rows",
                "created_count",
                "existing_count",
                "skipped_count",
                "error_count",
            ]
        )
        if progress:
            progress(job)

    try:
        rows, _ = open_records(job_file(job), job.format)
        for row_number, record, problem in rows:
            job.processed_rows += 1
            if problem is None:
                try:
                    item = map_record(mapping, record)
                except RecordError as exc:
                    problem = str(exc)
                else:
                    if item is None:
                        job.skipped_count += 1
                    else:
                        if item.external_id is None:
                            item.external_id = _row_key(record)
                        pending.append((row_number, item))
            if problem is not None:
                job.error_count += 1
                errors.append(ImportRowError(job=job, row_number=row_number, message=problem[:2000]))
            if len(pending) >= CHUNK or len(errors) >= CHUNK:
                flush()
        flush()
        job.status = ImportJob.Status.DONE
    except (FileProblem, OSError) as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)
    except Exception as exc:  # record, then let the worker log it
        job.status, job.error = ImportJob.Status.FAILED, f"Stopped by an internal error: {exc}"
        job.finished_at = timezone.now()
        job.save()
        raise
    job.finished_at = timezone.now()
    job.save()
    return job


def import_report_csv(job: ImportJob) -> Iterable[str]:
    """The per-row report as CSV lines (streamed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(["row", "error"])
    for row_number, message in (
        job.row_errors.order_by("row_number").values_list("row_number", "message").iterator()
    ):
        yield line([row_number, _safe_cell(message)])


def _safe_cell(value: str) -> str:
    # Spreadsheet programs run cells that start with these: neutralise them (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def import_delete_file(job: ImportJob) -> None:
    path = job_file(job)
    if path.exists():
        path.unlink()
