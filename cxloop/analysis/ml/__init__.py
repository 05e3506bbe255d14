"""Text understanding on the CPU, without Django: load models, predict, train, evaluate (issue #6).

Nothing here imports Django, so every module can be unit-tested and benchmarked alone. Models come from
packages installed by pip or from small files in `data/`, each checked against its sha256 (docs/models.md).
"""
