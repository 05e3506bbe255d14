"""A vector index for semantic search: nearest neighbours by cosine among up to a few million sentence
vectors, in memory, with numpy alone (no Django, no database).

Each row is an item id (int64) and its vector, kept twice in compact forms:

- its **sign bits** (384 bits = 6 x uint64, 48 bytes), for a first pass over every row by Hamming distance
  (`np.bitwise_count` of XORs): the number of coordinates whose signs differ tracks the angle between
  two vectors, so the rows nearest by cosine are among the nearest by Hamming distance;
- its **int8 quantisation** (each row scaled so its largest coordinate is +-127, 384 bytes) and the inverse
  norm of that int8 row, for the rerank: the candidates' rows times the float32 query, divided by their
  norms, is their cosine to the query within ~0.005.

A search takes the `candidates` rows of least Hamming distance (2,000 or 50 x k by default, ties broken by
id), reranks them by cosine and answers the best k, best first, ties by id. Rows are kept sorted by id,
so a lookup is a binary search and appending ids larger than any stored (the usual case) is a copy into
spare capacity. Memory: 444 bytes a row (ids, bits, int8, norm), ~444 MB at 1M rows; bench/search.py
measures speed, recall and memory against exact float32 search.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

DIM = 384
DEFAULT_CANDIDATES = 2000  # rows reranked at least (bench/search.py: recall@20 >= 0.99 at 1M rows)
CANDIDATES_PER_RESULT = 50
GROWTH = 1.25  # spare capacity added when rows are appended (amortised copies, bounded overshoot)


CHUNK = 32_768  # rows converted at a time (float32 temporaries stay small and in cache)
# float16 -> float32 by table: 5x faster than numpy's astype here (0.8 s instead of 3.9 s for 1M x 384)
_HALF = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)


def sign_bits(vectors: np.ndarray) -> np.ndarray:
    """(m, dim) floats -> (dim // 64, m) uint64: one row of words per 64 coordinates, bit set when > 0.
    Word-major, so the Hamming pass runs over contiguous memory one word at a time."""
    return encode(vectors)[0]


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m, dim) floats -> (int8 rows scaled to +-127, float32 inverse norm of each int8 row; 0 for a zero
    row). Cosine is scale-free, so each row gets its own scale and the full int8 range."""
    _, q8, inv = encode(vectors)
    return q8, inv


def encode(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored forms of (m, dim) vectors (float16 or float32): sign bits, int8 rows, inverse norms."""
    vectors = np.asarray(vectors)
    m, dim = vectors.shape
    bits = np.empty((dim // 64, m), np.uint64)
    q8 = np.empty((m, dim), np.int8)
    inv = np.empty(m, np.float32)
    for start in range(0, m, CHUNK):
        stop = min(m, start + CHUNK)
        v = _float32(vectors[start:stop])
        bits[:, start:stop] = np.packbits(v > 0, axis=1).view(np.uint64).T
        peak = np.abs(v).max(axis=1, keepdims=True)
        np.multiply(v, np.divide(127.0, peak, out=np.zeros_like(peak), where=peak > 0), out=v)
        np.rint(v, out=v)
        q8[start:stop] = v  # |v| <= 127 after the scaling
        norms = np.sqrt(np.einsum("ij,ij->i", v, v))
        inv[start:stop] = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return bits, q8, inv


def _float32(v: np.ndarray) -> np.ndarray:
    v = np.take(_HALF, v.view(np.uint16)) if v.dtype == np.float16 else v.astype(np.float32)
    if not np.isfinite(v).all():
        v = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
    return v


class VectorIndex:
    """Rows of (item id, vector), searched by cosine. Not thread-safe: callers that share one hold a lock."""

    def __init__(self, dim: int = DIM):
        if dim % 64:
            raise ValueError("the dimension must be a multiple of 64")
        self.dim = dim
        self._n = 0
        self._alloc(0)

    def _alloc(self, capacity: int) -> None:
        ids = np.empty(capacity, np.int64)
        bits = np.empty((self.dim // 64, capacity), np.uint64)
        q8 = np.empty((capacity, self.dim), np.int8)
        inv = np.empty(capacity, np.float32)
        if self._n:
            n = self._n
            ids[:n], bits[:, :n], q8[:n], inv[:n] = (
                self._ids[:n],
                self._bits[:, :n],
                self._q8[:n],
                self._inv[:n],
            )
        self._ids, self._bits, self._q8, self._inv = ids, bits, q8, inv

    # -- contents ----------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    @property
    def ids(self) -> np.ndarray:
        """The stored ids, ascending (a read-only view; row i of an `allowed` mask is ids[i])."""
        view = self._ids[: self._n]
        view.flags.writeable = False
        return view

    @property
    def nbytes(self) -> int:
        """Memory of the stored rows (spare capacity is reserved, but takes no memory until written)."""
        return self._n * (self._ids.itemsize + self._bits.itemsize * len(self._bits) + self.dim + 4)

    def __contains__(self, item_id: int) -> bool:
        return self._find(np.asarray([item_id], np.int64))[0] >= 0

    def _find(self, ids: np.ndarray) -> np.ndarray:
        """The row of each id, or -1."""
        stored = self._ids[: self._n]
        pos = np.searchsorted(stored, ids)
        hit = pos < self._n
        hit[hit] = stored[pos[hit]] == ids[hit]
        return np.where(hit, pos, -1)

    def reserve(self, rows: int) -> None:
        """Make room for this many rows in all, and some to spare (building from a known count: no copies
        while appending). Room not written to takes no memory."""
        if rows > len(self._ids):
            self._alloc(int(rows * GROWTH))

    # -- changes -----------------------------------------------------------------------------------------

    def upsert(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add rows, or replace the vector of ids already stored (a text read again). An id given twice
        keeps its last vector."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.asarray(vectors)
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected {len(ids)} vectors of {self.dim} numbers, got shape {vectors.shape}")
        if not len(ids):
            return
        ids, last = np.unique(ids[::-1], return_index=True)  # sorted, each id's last occurrence
        vectors = vectors[len(vectors) - 1 - last]
        bits, q8, inv = encode(vectors)
        rows = self._find(ids)
        old = rows >= 0
        if old.any():
            r = rows[old]
            self._bits[:, r], self._q8[r], self._inv[r] = bits[:, old], q8[old], inv[old]
        new = ~old
        if not new.any():
            return
        self._append(ids[new], bits[:, new], q8[new], inv[new])

    def _append(self, ids, bits, q8, inv) -> None:
        n, m = self._n, len(ids)
        if n + m > len(self._ids):  # spare room costs no memory until it is written
            self._alloc(int((n + m) * GROWTH))
        self._ids[n : n + m], self._q8[n : n + m], self._inv[n : n + m] = ids, q8, inv
        self._bits[:, n : n + m] = bits
        self._n = n + m
        if n and ids[0] < self._ids[n - 1]:  # ids below the largest stored (rare): sort the rows again
            order = np.argsort(self._ids[: n + m], kind="stable")
            self._ids[: n + m] = self._ids[: n + m][order]
            self._q8[: n + m] = self._q8[: n + m][order]
            self._inv[: n + m] = self._inv[: n + m][order]
            self._bits[:, : n + m] = self._bits[:, : n + m][:, order]

    def remove(self, ids: Iterable[int]) -> int:
        """Drop the rows of these ids (unknown ids are ignored); returns how many were dropped. The rows
        after each dropped one move up in place (no second copy of the index)."""
        ids = np.unique(np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64))
        rows = self._find(ids)
        rows = rows[rows >= 0]
        to = int(rows[0]) if len(rows) else 0
        for i, row in enumerate(rows):
            start, stop = int(row) + 1, int(rows[i + 1]) if i + 1 < len(rows) else self._n
            size = stop - start
            if size:
                self._ids[to : to + size] = self._ids[start:stop]
                self._q8[to : to + size] = self._q8[start:stop]
                self._inv[to : to + size] = self._inv[start:stop]
                self._bits[:, to : to + size] = self._bits[:, start:stop]
            to += size
        self._n -= len(rows)
        return len(rows)

    # -- search ------------------------------------------------------------------------------------------

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        candidates: int | None = None,
        allowed: np.ndarray | Iterable[int] | None = None,
    ) -> list[tuple[int, float]]:
        """The k rows nearest the query by cosine, best first, as (id, cosine); ties by id.

        `candidates`: rows reranked by cosine after the Hamming pass (default max(50 x k, 2,000)); when the
        index (or the allowed part of it) has no more rows than that, every row is reranked: exact up to
        the int8 rounding. `allowed`: a boolean mask aligned with `ids`, or the ids that may be answered.
        """
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if q.shape != (self.dim,):
            raise ValueError(f"the query must have {self.dim} numbers, not {q.shape}")
        if k <= 0 or not self._n or not np.isfinite(q).all() or not q.any():
            return []
        n = self._n
        rows = None
        if allowed is not None:
            rows = self._allowed_rows(allowed)
            if not len(rows):
                return []
        wanted = max(
            k, candidates if candidates is not None else max(CANDIDATES_PER_RESULT * k, DEFAULT_CANDIDATES)
        )
        eligible = n if rows is None else len(rows)
        if eligible <= wanted:
            cand = np.arange(n) if rows is None else rows
        else:
            cand = self._nearest_by_hamming(q, wanted, rows)
        scores = (self._q8[cand].astype(np.float32) @ (q / np.linalg.norm(q))) * self._inv[cand]
        ids = self._ids[cand]
        order = np.lexsort((ids, -scores))[:k]
        return [(int(ids[i]), float(min(1.0, max(-1.0, scores[i])))) for i in order]

    def _allowed_rows(self, allowed) -> np.ndarray:
        if isinstance(allowed, np.ndarray) and allowed.dtype == bool:
            if allowed.shape != (self._n,):
                raise ValueError(f"the allowed mask must have one entry per row ({self._n})")
            return np.flatnonzero(allowed)
        ids = np.unique(
            np.fromiter(allowed, dtype=np.int64) if not isinstance(allowed, np.ndarray) else allowed
        )
        rows = self._find(ids.astype(np.int64))
        return rows[rows >= 0]  # ascending, as the ids are

    def _nearest_by_hamming(self, q: np.ndarray, wanted: int, rows: np.ndarray | None) -> np.ndarray:
        """The `wanted` rows of least Hamming distance to the query's sign bits; at the cut-off distance the
        rows of lowest id are taken, so the same index and query always give the same candidates."""
        qbits = sign_bits(q[None, :])[:, 0]
        bits = self._bits[:, : self._n] if rows is None else self._bits[:, rows]
        distance = np.bitwise_count(bits[0] ^ qbits[0]).astype(np.uint16)
        for word in range(1, len(qbits)):
            distance += np.bitwise_count(bits[word] ^ qbits[word])
        cumulative = np.cumsum(np.bincount(distance, minlength=self.dim + 1))
        cut = int(np.searchsorted(cumulative, wanted))  # the first distance that reaches `wanted` rows
        below = np.flatnonzero(distance < cut)
        at_cut = np.flatnonzero(distance == cut)[: wanted - len(below)]
        picked = np.concatenate([below, at_cut])
        return picked if rows is None else rows[picked]
