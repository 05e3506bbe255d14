"""Semantic search over a workspace's feedback: free text by meaning ("my order never came" finds the late
parcels without sharing a word with them) and "find feedback like this item".

The database has no vector type here (SQLite by default; the PostgreSQL servers we run on have no pgvector),
so the index is ours and the same on both: one `ml.vectors.VectorIndex` per workspace, built in the process
from the sentence vectors the models stored (`Enrichment.embedding`, 384 float16), kept in a small cache and
brought up to date at every search:

- rows added since the last search (`pk` above the largest seen) and rows read again (`enriched_at` at or
  after the newest seen, less a minute of slack for transactions that commit out of order) are loaded; a row
  no longer usable (failed, no vector, other models) leaves the index. Looking for rows read again scans the
  workspace's enrichments, so above 50,000 indexed rows it happens at most every 30 seconds;
- only vectors of the process's encoder are indexed (`model_version` contains `Encoder.default().version`):
  vectors of different models are not comparable, and a new encoder starts a new index;
- an erased item's row disappears with the item; its vector leaves the index when an unfiltered search
  meets it among its candidates (and with any rebuild). Until then the store filters it out: every id the
  index proposes goes through `feedback_queryset(workspace, filters)`, so only the workspace's own items
  that pass the filters are ever answered.

Filters: the index proposes the nearest items (4 x the results wanted), the store keeps those that pass the
filters in their order; when too few pass, 4 x more are asked, and past 5,000 candidates the ids that pass
the filters are read from the store and the index is searched among those alone.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Max

from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.feedback import selectors as feedback_selectors
from cxloop.feedback.selectors import FeedbackFilter

from .ml.vectors import DIM, VectorIndex
from .models import Enrichment

MAX_QUERY_CHARS = 1000
MAX_LIMIT = 100
CANDIDATES_PER_RESULT = 4  # ids asked of the index per result wanted, before the filters
WIDEN = 4  # when too few pass the filters, ask for this many times more
MAX_POST_FILTER = 5000  # past this many candidates, search among the ids that pass the filters
REFRESH_SLACK = timedelta(seconds=60)  # rows read this long before the newest seen are checked again
# Looking for rows read again scans the workspace's enrichments (no index on enriched_at): 61 ms at 200,000
# on PostgreSQL. Below REREAD_SCAN_ROWS indexed rows it runs at every search, above at most this often.
REREAD_CHECK_SECONDS = 30.0
REREAD_SCAN_ROWS = 50_000
LOAD_CHUNK = 2000  # rows read from the database at a time when refreshing
BUILD_CHUNK = 20_000  # ... and when building the index
VECTOR_BYTES = DIM * 2  # a stored embedding: 384 float16
MAX_CACHED_ROWS = 1_500_000  # indexed rows kept per process (~444 bytes each), least recently used dropped
NO_FILTERS = FeedbackFilter()
NOTHING_READ = (
    "No feedback has been read yet: the background worker reads every text shortly after it arrives, "
    "and search finds it from then on."
)


class SearchResults(list):
    """[(FeedbackItem, similarity)], best first; the similarity is the cosine of the two texts' sentence
    vectors, 0 to 1. `reason` says why there is nothing to search when that is the case."""

    def __init__(self, pairs=(), *, reason: str = ""):
        super().__init__(pairs)
        self.reason = reason


def search(
    *,
    workspace,
    query: str | None = None,
    like_item_id: int | None = None,
    filters: FeedbackFilter = NO_FILTERS,
    limit: int = 20,
) -> SearchResults:
    """The workspace's feedback nearest in meaning to `query` (a text) or to the item `like_item_id` (which
    is not answered itself), among the items that pass `filters`."""
    query = (query or "").strip() or None
    if (query is None) == (like_item_id is None):
        raise ServiceError(
            "Search for a text (q) or for feedback like an item (like), one of the two.", field="q"
        )
    if query is not None and len(query) > MAX_QUERY_CHARS:
        raise ServiceError(
            f"The search text is {len(query):,} characters long; keep it to {MAX_QUERY_CHARS:,}.", field="q"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise ServiceError(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    from .ml import pipeline
    from .ml.encoder import Encoder

    encoder = Encoder.default().version
    vector = None if like_item_id is None else _item_vector(workspace, like_item_id, encoder)
    entry = _index_of(workspace, encoder)
    with entry.lock:
        entry.refresh(workspace)
        indexed = len(entry.index)
    if not indexed:
        return SearchResults(reason=NOTHING_READ)
    if vector is None:
        vector = pipeline.embed_texts([query])[0]
    hits = _nearest(entry, workspace, vector, filters, limit, exclude=like_item_id)
    items = feedback_selectors.feedback_in_order(workspace=workspace, item_ids=[i for i, _ in hits])
    score = dict(hits)
    return SearchResults((item, round(max(0.0, score[item.pk]), 4)) for item in items)


def _item_vector(workspace, item_id: int, encoder: str) -> np.ndarray:
    """The stored sentence vector of one of the workspace's items, or NotFound saying why there is none."""
    row = (
        Enrichment.objects.filter(workspace=workspace, item_id=item_id)
        .values_list("status", "embedding", "model_version")
        .first()
    )
    if row is None:
        if not feedback_selectors.feedback_ids_matching(
            workspace=workspace, filters=NO_FILTERS, item_ids=[item_id]
        ):
            raise NotFound(f"No feedback item with id {item_id} in this workspace.")
        raise NotFound(
            f"Feedback item {item_id} has not been read yet, so there is nothing to compare it with: the "
            "background worker reads every text shortly after it arrives."
        )
    status, embedding, version = row
    if status != Enrichment.Status.DONE or embedding is None:
        raise NotFound(
            f"Feedback item {item_id} has no meaning to compare: the models did not read its text (no words, "
            "a language they do not read, or a failed reading)."
        )
    if encoder not in version:
        raise NotFound(
            f"Feedback item {item_id} was read by an earlier version of the models; it can be compared once "
            "it is read again."
        )
    return np.frombuffer(bytes(embedding), dtype=np.float16).astype(np.float32)


def _nearest(entry, workspace, vector, filters, limit, *, exclude) -> list[tuple[int, float]]:
    """The best `limit` (id, cosine) among the workspace's items that pass the filters."""
    unfiltered = filters == NO_FILTERS
    passes: dict[int, bool] = {}
    k = limit * CANDIDATES_PER_RESULT + (exclude is not None)
    while True:
        with entry.lock:
            hits, size = entry.index.search(vector, k), len(entry.index)
        fresh = [i for i, _ in hits if i not in passes]
        kept = feedback_selectors.feedback_ids_matching(workspace=workspace, filters=filters, item_ids=fresh)
        passes.update((i, i in kept and i != exclude) for i in fresh)
        if unfiltered and len(kept) < len(fresh):  # not in the store any more: erased
            with entry.lock:
                entry.index.remove([i for i in fresh if i not in kept])
        found = [(i, s) for i, s in hits if passes[i]]
        if len(found) >= limit or len(hits) < k or k >= size:
            return found[:limit]
        k *= WIDEN
        if k > MAX_POST_FILTER:  # a narrow filter: search among the items that pass it
            allowed = np.asarray(
                feedback_selectors.feedback_ids(workspace=workspace, filters=filters), np.int64
            )
            allowed = allowed[allowed != (exclude if exclude is not None else -1)]
            with entry.lock:
                return entry.index.search(vector, limit, allowed=allowed)


# -- the index of each workspace, in this process ------------------------------------------------------------
@dataclass
class _WorkspaceIndex:
    created_at: datetime  # with the id, tells a workspace from an earlier one of the same id
    encoder: str
    index: VectorIndex = field(default_factory=VectorIndex)
    built: bool = False
    last_pk: int = 0  # the largest Enrichment pk seen
    newest: datetime | None = None  # the newest enriched_at seen
    recent: dict[int, datetime] = field(default_factory=dict)  # pk -> enriched_at of rows within the slack
    reread_checked: float = 0.0  # time.monotonic() of the last look for rows read again
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, workspace) -> None:
        """Bring the index up to date with the workspace's stored vectors (the caller holds the lock)."""
        rows = Enrichment.objects.filter(workspace=workspace)
        if not self.built:  # every usable vector; what is committed after the first query is newer
            seen = rows.aggregate(last_pk=Max("pk"), newest=Max("enriched_at"))
            self.last_pk, self.newest = seen["last_pk"] or 0, seen["newest"]
            usable = rows.filter(
                pk__lte=self.last_pk,
                status=Enrichment.Status.DONE,
                embedding__isnull=False,
                model_version__contains=self.encoder,
            )
            self.index.reserve(usable.count())
            batch: list[tuple[int, bytes]] = []
            for pair in usable.values_list("item_id", "embedding").iterator(BUILD_CHUNK):
                batch.append(pair)
                if len(batch) == BUILD_CHUNK:
                    self._upsert(batch)
                    batch = []
            self._upsert(batch)
            self.built = True  # rows read within the slack of `newest` are looked at again next time
        last_pk, newest = self.last_pk, self.newest
        self._load(rows.filter(pk__gt=last_pk).order_by("pk"))  # new rows
        now = time.monotonic()
        due = len(self.index) < REREAD_SCAN_ROWS or now - self.reread_checked >= REREAD_CHECK_SECONDS
        if newest is not None and due:  # rows read again (updated in place: same pk, later enriched_at)
            self.reread_checked = now
            changed = rows.filter(pk__lte=last_pk, enriched_at__gte=newest - REFRESH_SLACK)
            todo = [pk for pk, at in changed.values_list("pk", "enriched_at") if self.recent.get(pk) != at]
            for start in range(0, len(todo), LOAD_CHUNK):
                self._load(rows.filter(pk__in=todo[start : start + LOAD_CHUNK]))

    def _upsert(self, pairs: list[tuple[int, bytes]]) -> None:
        pairs = [(item_id, e) for item_id, e in pairs if len(e) == VECTOR_BYTES]  # any other is not ours
        if pairs:
            blob = b"".join(embedding for _, embedding in pairs)  # one buffer: no array per row
            vectors = np.frombuffer(blob, dtype=np.float16).reshape(len(pairs), -1)
            self.index.upsert([item_id for item_id, _ in pairs], vectors)

    def _load(self, qs) -> None:
        """Load these enrichment rows: usable ones are (re)indexed, the others leave the index."""
        fields = ("pk", "item_id", "status", "embedding", "model_version", "enriched_at")
        usable, gone = [], []
        for pk, item_id, status, embedding, version, at in qs.values_list(*fields).iterator(LOAD_CHUNK):
            self.last_pk = max(self.last_pk, pk)
            if at is not None:
                self.newest = at if self.newest is None else max(self.newest, at)
                self.recent[pk] = at
            if status == Enrichment.Status.DONE and embedding is not None and self.encoder in version:
                usable.append((item_id, embedding))
            else:
                gone.append(item_id)
            if len(usable) == LOAD_CHUNK:
                self._upsert(usable)
                usable = []
        self._upsert(usable)
        if gone:
            self.index.remove(gone)
        if self.newest is not None:
            cutoff = self.newest - REFRESH_SLACK
            self.recent = {pk: at for pk, at in self.recent.items() if at >= cutoff}


_indexes: OrderedDict[int, _WorkspaceIndex] = OrderedDict()
_indexes_lock = threading.Lock()


def _index_of(workspace, encoder: str) -> _WorkspaceIndex:
    """The process's index of the workspace (a new, empty one for a new encoder); the least recently used
    ones are dropped past MAX_CACHED_ROWS rows."""
    with _indexes_lock:
        entry = _indexes.get(workspace.pk)
        if entry is None or entry.created_at != workspace.created_at or entry.encoder != encoder:
            entry = _WorkspaceIndex(created_at=workspace.created_at, encoder=encoder)
            _indexes[workspace.pk] = entry
        _indexes.move_to_end(workspace.pk)
        while len(_indexes) > 1 and sum(len(e.index) for e in _indexes.values()) > MAX_CACHED_ROWS:
            _indexes.popitem(last=False)
        return entry


def forget_indexes() -> None:
    """Drop every cached index (they are rebuilt on the next search)."""
    with _indexes_lock:
        _indexes.clear()
