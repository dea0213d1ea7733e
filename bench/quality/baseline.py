"""TF-IDF (word 1-2 + char 2-5 grams) + logistic regression, C tuned on the validation split.

Reads a JSON job {train, validation, test: [{text, label}], seed} on stdin; prints one JSON line:
accuracy, macro-F1, ECE (10 bins), the chosen C, training seconds (vectorizer + every C tried +
the final fit) and single-text latency (ms, mean over up to 500 test texts).
"""
import json
import sys
import time

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

C_GRID = [1, 3, 10, 30, 100]


def ece(confidence, correct, bins=10):
    total = 0.0
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def main():
    job = json.load(sys.stdin)
    texts = {name: [row["text"] for row in job[name]] for name in ("train", "validation", "test")}
    labels = {name: [row["label"] for row in job[name]] for name in ("train", "validation", "test")}
    started = time.perf_counter()
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    x_train = hstack([word.fit_transform(texts["train"]), char.fit_transform(texts["train"])]).tocsr()

    def features(items):
        return hstack([word.transform(items), char.transform(items)]).tocsr()

    x_validation = features(texts["validation"])
    best = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=300, random_state=job["seed"])
        model.fit(x_train, labels["train"])
        score = f1_score(labels["validation"], model.predict(x_validation), average="macro")
        if best is None or score > best[0]:
            best = (score, c, model)
        elif score < best[0] - 0.01:
            break  # past the peak: larger C only overfits further
    train_seconds = time.perf_counter() - started
    _, c, model = best
    probabilities = model.predict_proba(features(texts["test"]))
    predicted = model.classes_[probabilities.argmax(axis=1)]
    truth = np.array(labels["test"])
    confidence = probabilities.max(axis=1)
    sample = texts["test"][:500]
    latency_started = time.perf_counter()
    for text in sample:
        model.predict_proba(features([text]))
    latency_ms = (time.perf_counter() - latency_started) * 1000 / max(1, len(sample))
    print(
        json.dumps(
            {
                "accuracy": float(accuracy_score(truth, predicted)),
                "macroF1": float(f1_score(truth, predicted, average="macro")),
                "ece": ece(confidence, predicted == truth),
                "C": c,
                "trainSeconds": train_seconds,
                "latencyMs": latency_ms,
            }
        )
    )


main()
