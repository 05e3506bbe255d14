"""The vector index behind semantic search: the nearest rows by cosine, best first, ties by id; rows added,
replaced and removed; answers limited to allowed rows. No database, no model."""

import numpy as np
import pytest

from cxloop.analysis.ml.vectors import DIM, VectorIndex, encode


def unit(x):
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.fixture
def data():
    """3,000 unit vectors around 30 centres, stored as float16 like the embeddings, and 40 queries."""
    rng = np.random.default_rng(7)
    centres = unit(rng.standard_normal((30, DIM)))
    rows = unit(centres[rng.integers(0, 30, 3000)] + 0.08 * rng.standard_normal((3000, DIM)))
    queries = unit(centres[rng.integers(0, 30, 40)] + 0.08 * rng.standard_normal((40, DIM)))
    return rows.astype(np.float16), queries


def exact(rows, query, k, ids=None):
    ids = np.arange(len(rows)) if ids is None else np.asarray(ids)
    scores = rows.astype(np.float32) @ query
    order = np.lexsort((ids, -scores))[:k]
    return [int(ids[i]) for i in order], scores[order]


def built(rows, ids=None):
    index = VectorIndex()
    index.upsert(np.arange(len(rows)) if ids is None else ids, rows)
    return index


def test_search_finds_the_nearest_rows_by_cosine_up_to_int8_rounding(data):
    rows, queries = data
    index = built(rows)
    true_scores = rows.astype(np.float32) @ queries.T
    for j, q in enumerate(queries):
        found = index.search(q, 10, candidates=len(rows))
        _, want_scores = exact(rows, q, 10)
        # each rank holds a row as near as the exact one: only rows closer than the rounding may swap
        np.testing.assert_allclose(true_scores[[i for i, _ in found], j], want_scores, atol=0.005)
        np.testing.assert_allclose([s for _, s in found], want_scores, atol=0.005)


def test_search_finds_exactly_the_planted_neighbours():
    rng = np.random.default_rng(3)
    query = unit(rng.standard_normal(DIM))
    noise = unit(rng.standard_normal((2000, DIM)))
    rows = noise.copy()
    planted = {17: 0.95, 1500: 0.9, 3: 0.85, 999: 0.8, 640: 0.75}  # id -> cosine to the query
    for i, cosine in planted.items():
        away = unit(noise[i] - (noise[i] @ query) * query)
        rows[i] = cosine * query + np.sqrt(1 - cosine**2) * away
    found = built(rows.astype(np.float16)).search(query, 5)
    assert [i for i, _ in found] == list(planted)
    np.testing.assert_allclose([s for _, s in found], list(planted.values()), atol=0.005)


def test_the_hamming_pass_keeps_the_nearest_rows_among_its_candidates(data):
    rows, queries = data
    index = built(rows)
    recall = [
        len({i for i, _ in index.search(q, 10, candidates=300)} & set(exact(rows, q, 10)[0])) / 10
        for q in queries
    ]
    assert np.mean(recall) >= 0.95  # 10 % of the rows reranked


def test_results_are_best_first_with_cosine_scores(data):
    rows, queries = data
    found = built(rows).search(queries[0], 20)
    scores = [s for _, s in found]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in scores)


def test_a_row_is_its_own_nearest_neighbour_at_cosine_one(data):
    rows, _ = data
    ((item, score),) = built(rows).search(rows[123].astype(np.float32), 1)
    assert item == 123 and score == pytest.approx(1.0, abs=1e-3)


def test_ties_are_ordered_by_id():
    v = unit(np.ones(DIM))
    index = VectorIndex()
    index.upsert([50, 7, 31, 2], np.tile(v, (4, 1)))
    assert [i for i, _ in index.search(v, 4)] == [2, 7, 31, 50]
    # ties at the Hamming cut-off are broken by id too: the same candidates every time
    assert [i for i, _ in index.search(v, 2, candidates=2)] == [2, 7]


def test_rows_can_be_appended_in_several_batches(data):
    rows, queries = data
    index = VectorIndex()
    for start in range(0, len(rows), 700):
        index.upsert(np.arange(start, min(len(rows), start + 700)), rows[start : start + 700])
    assert len(index) == len(rows)
    assert index.search(queries[3], 5, candidates=len(rows)) == built(rows).search(
        queries[3], 5, candidates=len(rows)
    )


def test_ids_out_of_order_are_merged_and_kept_sorted(data):
    rows, queries = data
    index = VectorIndex()
    index.upsert(np.arange(1500, 3000), rows[1500:])
    index.upsert(np.arange(0, 1500)[::-1], rows[:1500][::-1])
    assert list(index.ids) == list(range(3000))
    assert [i for i, _ in index.search(queries[0], 8, candidates=3000)] == exact(rows, queries[0], 8)[0]


def test_replacing_a_row_moves_it(data):
    rows, queries = data
    index = built(rows)
    far = int(exact(rows, queries[0], len(rows))[0][-1])  # the row least like the query
    assert far not in [i for i, _ in index.search(queries[0], 5)]

    index.upsert([far], queries[0][None, :])  # its text was read again and now says what the query says

    assert len(index) == len(rows)
    assert index.search(queries[0], 1)[0][0] == far


def test_an_id_given_twice_keeps_its_last_vector(data):
    rows, _ = data
    index = VectorIndex()
    index.upsert([5, 5], rows[[0, 1]])
    assert len(index) == 1
    assert index.search(rows[1].astype(np.float32), 1)[0][1] == pytest.approx(1.0, abs=1e-3)


def test_removed_rows_are_never_answered(data):
    rows, queries = data
    index = built(rows)
    best = [i for i, _ in index.search(queries[0], 5)]

    assert index.remove([best[0], best[2], 999_999]) == 2

    assert len(index) == len(rows) - 2
    assert best[0] not in index and best[1] in index
    after = [i for i, _ in index.search(queries[0], 5)]
    assert after[:3] == [best[1], best[3], best[4]]
    assert index.remove([]) == 0


def test_after_many_changes_the_index_answers_as_one_built_from_its_rows(data):
    rows, queries = data
    index = built(rows[:2000])
    index.remove(range(0, 2000, 3))
    index.upsert(np.arange(2000, 3000), rows[2000:])
    index.upsert(np.arange(0, 2000, 3)[::-1], rows[:2000:3][::-1])  # back, below the largest id
    index.upsert([10, 11], rows[[500, 501]])  # two rows read again
    index.remove([2999, 5])

    want = rows.copy()
    want[[10, 11]] = rows[[500, 501]]
    keep = np.setdiff1d(np.arange(3000), [2999, 5])
    fresh = built(want[keep], ids=keep)
    assert list(index.ids) == list(keep)
    for q in queries[:10]:
        assert index.search(q, 15, candidates=3000) == fresh.search(q, 15, candidates=3000)
    assert index.nbytes == fresh.nbytes == len(keep) * (8 + 48 + DIM + 4)


def test_room_reserved_for_a_build_holds_the_rows_without_changing_answers(data):
    rows, queries = data
    index = VectorIndex()
    index.reserve(len(rows))
    for start in range(0, len(rows), 1000):
        index.upsert(np.arange(start, start + 1000), rows[start : start + 1000])
    assert len(index) == len(rows) and index.nbytes == len(rows) * (8 + 48 + DIM + 4)
    assert index.search(queries[0], 10) == built(rows).search(queries[0], 10)


def test_allowed_mask_limits_the_answers(data):
    rows, queries = data
    index = built(rows)
    mask = np.zeros(len(rows), bool)
    mask[::10] = True
    found = [i for i, _ in index.search(queries[1], 10, allowed=mask)]
    assert found == exact(rows[::10], queries[1], 10, ids=np.arange(0, len(rows), 10))[0]


def test_allowed_ids_limit_the_answers_and_unknown_ids_are_ignored(data):
    rows, queries = data
    index = built(rows, ids=np.arange(len(rows)) * 3)  # ids 0, 3, 6, ...
    allowed = {3 * i for i in range(0, len(rows), 7)} | {1, 2}  # 1 and 2 are not stored
    found = [i for i, _ in index.search(queries[2], 10, allowed=allowed)]
    assert set(found) <= allowed
    sub = np.arange(0, len(rows), 7)
    assert found == exact(rows[sub], queries[2], 10, ids=sub * 3)[0]
    assert index.search(queries[2], 10, allowed=[]) == []
    with pytest.raises(ValueError):
        index.search(queries[2], 10, allowed=np.ones(5, bool))


def test_an_empty_index_answers_nothing(data):
    _, queries = data
    index = VectorIndex()
    assert index.search(queries[0], 10) == []
    assert len(index) == 0 and 17 not in index


def test_k_larger_than_the_index_answers_every_row(data):
    rows, queries = data
    index = built(rows[:7])
    found = index.search(queries[0], 50)
    assert sorted(i for i, _ in found) == list(range(7))
    assert index.search(queries[0], 0) == []


def test_a_zero_or_wrong_sized_query_is_handled(data):
    rows, _ = data
    index = built(rows)
    assert index.search(np.zeros(DIM), 5) == []
    with pytest.raises(ValueError):
        index.search(np.ones(10), 5)
    with pytest.raises(ValueError):
        index.upsert([1, 2], rows[:3])


def test_stored_forms_are_compact_and_a_zero_vector_scores_zero():
    bits, q8, inv = encode(np.vstack([np.zeros(DIM), unit(np.arange(DIM) - 100.0)]).astype(np.float16))
    assert bits.shape == (DIM // 64, 2) and bits.dtype == np.uint64
    assert q8.dtype == np.int8 and int(np.abs(q8[1]).max()) == 127
    assert inv[0] == 0 and inv[1] > 0
    index = VectorIndex()
    index.upsert([1], np.zeros((1, DIM)))
    assert index.search(np.ones(DIM), 1) == [(1, 0.0)]
