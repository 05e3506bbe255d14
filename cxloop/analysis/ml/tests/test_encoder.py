"""The sentence encoder: shapes, order, truncation, odd input, verified files, the cached graph.

One default encoder (the configuration the product runs) is loaded for the whole session; the first run
on a machine builds its graph into the user's cache folder (a few seconds), later runs reuse it."""

import hashlib
import json
import shutil

import numpy as np
import pytest

from cxloop.analysis.ml import encoder as enc
from cxloop.analysis.ml import encoder_graphs
from cxloop.analysis.ml.encoder import DIM, MAX_TOKENS, Encoder, ModelFileError

TEXTS = [
    "The parcel arrived two days late and the box was crushed.",
    "Great food, rude staff.",
    "ok",
    "I have been charged twice for the same order and nobody answers my emails, "
    "this is the third time I write to you about it, please refund me today.",
    "Thank you, the agent was wonderful!",
]


@pytest.fixture(scope="session")
def encoder():
    return Encoder.default()


@pytest.fixture(scope="session")
def shipped():
    return Encoder(graph="shipped")


def cos(a, b):
    return float(np.dot(a, b))


def test_default_encoder_runs_the_fast_graph_it_built(encoder):
    assert encoder.graph == "fused-int8", encoder.fallback_reason
    assert encoder.fallback_reason == ""
    assert encoder.version.startswith("all-MiniLM-L6-v2:fused-int8/")
    assert Encoder.default() is encoder


def test_one_unit_length_float32_row_of_384_per_text(encoder):
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_no_texts_give_an_empty_matrix(encoder):
    assert encoder.encode([]).shape == (0, DIM)


def test_results_come_back_in_input_order_when_batches_are_sorted_by_length(encoder, monkeypatch):
    alone = np.vstack([encoder.encode([t]) for t in TEXTS])
    monkeypatch.setattr(encoder, "batch_size", 2)  # 3 batches, none in input order
    batched = encoder.encode(TEXTS)
    similarity = batched @ alone.T
    assert list(similarity.argmax(axis=1)) == list(range(len(TEXTS)))
    assert min(np.diag(similarity)) > 0.97


def test_a_text_alone_or_among_others_gets_nearly_the_same_vector(encoder):
    # int8 activations are scaled per batch, so neighbours move a vector a little (cosine ~0.99 on
    # tweets, bench/enrich.py), never far
    batched = encoder.encode(TEXTS * 10)
    for i, t in enumerate(TEXTS):
        assert cos(batched[i], encoder.encode([t])[0]) > 0.95


def test_same_input_gives_the_same_vectors(encoder):
    assert np.array_equal(encoder.encode(TEXTS), encoder.encode(TEXTS))


def test_fast_graph_stays_close_to_the_shipped_model(encoder, shipped):
    fast, reference = encoder.encode(list(enc.PROBES)), shipped.encode(list(enc.PROBES))
    cosines = (fast * reference).sum(axis=1)
    assert cosines.mean() > 0.98
    assert cosines.min() > 0.95


def test_meaning_is_kept(encoder):
    late, late_again, unrelated = encoder.encode(
        ["My parcel still hasn't arrived.", "The delivery is late.", "I love the colour of this sofa."]
    )
    assert cos(late, late_again) > cos(late, unrelated) + 0.2


def test_a_100_kB_text_is_cut_to_128_tokens(encoder):
    words = [f"word{i % 97}" for i in range(20000)]
    long_text = " ".join(words)
    assert len(long_text) > 100_000
    ids = encoder.token_ids([long_text])[0]
    assert len(ids) == MAX_TOKENS
    assert ids[0] == 101 and ids[-1] == 102  # [CLS] ... [SEP]
    head = " ".join(words[:300])  # already more than 128 tokens
    assert encoder.token_ids([head])[0] == ids
    assert np.array_equal(encoder.encode([long_text]), encoder.encode([head]))


def test_a_long_text_that_is_mostly_blank_keeps_its_words(encoder):
    text = " " * 100_000 + "parcel late"
    assert encoder.token_ids([text]) == encoder.token_ids(["parcel late"])


def test_empty_and_emoji_only_texts_get_a_unit_vector(encoder):
    vectors = encoder.encode(["", "😍😍😍", "   "])
    assert encoder.token_ids([""]) == [[101, 102]]
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_undecodable_characters_do_not_stop_the_batch(encoder):
    broken = b"caf\xe9 ok".decode("utf-8", "surrogateescape")  # a lone surrogate, as from bad bytes
    vectors = encoder.encode(["fine", broken, "also fine"])
    assert np.isfinite(vectors).all()


def test_something_other_than_a_list_of_strings_is_refused_with_its_position(encoder):
    with pytest.raises(TypeError, match="text 1 is int"):
        encoder.encode(["fine", 3])
    with pytest.raises(TypeError, match="list of texts"):
        encoder.encode("one string")


def test_a_tokenizer_with_another_sha256_is_refused(tmp_path):
    changed = tmp_path / "tokenizer.json"
    changed.write_bytes(enc.TOKENIZER_PATH.read_bytes().replace(b'"lowercase":true', b'"lowercase":false'))
    with pytest.raises(
        ModelFileError, match=r"tokenizer: .*tokenizer\.json has sha256 [0-9a-f]{64}, expected be50c36"
    ):
        Encoder(graph="shipped", tokenizer_path=changed)


def test_a_model_with_another_sha256_is_refused(tmp_path):
    changed = tmp_path / "model.onnx"
    shutil.copyfile(enc.shipped_model_path(), changed)
    with open(changed, "ab") as f:
        f.write(b"\0")
    with pytest.raises(
        ModelFileError, match=r"sentence encoder model: .*model\.onnx has sha256 .*expected 8199be6f"
    ):
        Encoder(graph="shipped", model_path=changed)


def test_the_vendored_files_are_the_pinned_ones():
    assert hashlib.sha256(enc.TOKENIZER_PATH.read_bytes()).hexdigest() == enc.TOKENIZER_SHA256
    assert enc.file_sha256(enc.shipped_model_path()) == enc.SHIPPED_MODEL_SHA256


def test_a_cached_graph_is_used_only_for_its_source_and_recipe_and_bytes(tmp_path):
    path, meta_path = tmp_path / "g.onnx", tmp_path / "g.json"
    data = b"graph bytes"
    key = {"graph": "fused-int8", "recipe": "fused-int8/1", "source_sha256": "a" * 64, "onnxruntime": "1.0"}
    meta_path.write_text(json.dumps({**key, "sha256": hashlib.sha256(data).hexdigest()}))
    path.write_bytes(data)
    assert enc._read_cached(path, meta_path, key) == data
    assert enc._read_cached(path, meta_path, {**key, "source_sha256": "b" * 64}) is None  # source changed
    assert enc._read_cached(path, meta_path, {**key, "recipe": "fused-int8/2"}) is None
    path.write_bytes(b"graph bytes, altered")
    assert enc._read_cached(path, meta_path, key) is None
    assert enc._read_cached(tmp_path / "missing.onnx", meta_path, key) is None


def test_the_shipped_graph_is_used_when_building_fails(tmp_path, monkeypatch):
    def broken(folded):
        raise RuntimeError("no such operator")

    monkeypatch.setattr(encoder_graphs, "fused_bert", broken)
    fallback = Encoder(cache_dir=tmp_path)
    assert fallback.graph == "shipped"
    assert "fused-int8 graph not used (RuntimeError: no such operator)" in fallback.fallback_reason
    assert fallback.encode(["still works"]).shape == (1, DIM)
    assert not list(tmp_path.glob("*.onnx"))


def test_unknown_options_are_refused():
    with pytest.raises(ValueError, match="graph must be one of fused-int8, int8, shipped"):
        Encoder(graph="fp16")
    with pytest.raises(ValueError, match="max_tokens must be between 1 and 512"):
        Encoder(max_tokens=1000)
    with pytest.raises(ValueError, match="parallel must be one of batches, operators"):
        Encoder(parallel="processes")


def test_the_default_cannot_be_reconfigured_once_loaded(encoder):
    with pytest.raises(RuntimeError, match="already loaded with other options"):
        Encoder.configure_default(threads=1)
    Encoder.configure_default(**Encoder._default_options)  # the same options are fine
    assert Encoder.default() is encoder


def test_a_repeated_text_is_encoded_once_and_returned_at_each_place(encoder, monkeypatch):
    seen = []
    run = enc._run
    monkeypatch.setattr(enc, "_run", lambda s, names, ids: seen.extend(ids) or run(s, names, ids))
    vectors = encoder.encode(["no", "late parcel", "no", "no"])
    assert len(seen) == 2
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[0], vectors[3])
    assert not np.array_equal(vectors[0], vectors[1])


def test_both_ways_of_sharing_threads_give_the_same_vectors(encoder):
    by_operators = Encoder(graph="fused-int8", parallel="operators", threads=2)
    assert encoder.parallel == "batches"
    texts = [f"{t} (note {i})" for i, t in enumerate(TEXTS * 20)]  # 100 texts, 4 batches
    assert np.array_equal(by_operators.encode(texts), encoder.encode(texts))
