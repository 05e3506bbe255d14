"""Intents of support tickets and chats, learnt from a workspace's labelled examples (few-shot works). No
Django. The model is `heads.TrainableHead`: words, character n-grams and the sentence embedding into a
logistic regression; `cxloop eval` measures it on BANKING77 (full training split, and 10 examples per intent).
"""

from __future__ import annotations


def eval_model(task: str):
    if task in ("banking77-full", "banking77-10shot"):
        from .heads import TrainableHead
        from .pipeline import embed_texts

        return TrainableHead(embed_texts)
    return None
