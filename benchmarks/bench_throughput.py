"""Throughput of the whole ``textmine classify`` against the naive per-row pipeline.

The naive pipeline is what teams glue together by hand: for each comment,
``jieba.lcut`` + a scikit-learn TF-IDF/one-vs-rest ``predict`` (trained here on the
project corpus) + ``SnowNLP(text).sentiments``. textmine runs as the CLI does
(``classify_file``: read, segment once, categories, polarities, evidence, sentiment,
write), with ``--jobs`` worker processes. Both get the same comments, in one run;
model loading is excluded from both timings, and textmine runs first. textmine's few
seconds are timed ``--repeat`` times (new worker processes each time) and the median
kept; the naive pipeline's minutes once. The comments are
distinct comments of the project corpus, or, with ``--input``, the first ``--rows``
comments of a file of real reviews (its text column found by name), e.g.
``../shared/data/waimai_10k.csv``.

    python benchmarks/bench_throughput.py [--rows 10000] [--jobs 2] [--repeat 3] [--input FILE]
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _corpus import corpus_texts


def naive_pipeline(train_texts: list[str], train_labels: list[list[str]]):
    """The hand-glued pipeline: returns a function text -> (categories, sentiment)."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer
    from snownlp import SnowNLP

    binarizer = MultiLabelBinarizer()
    Y = binarizer.fit_transform(train_labels)
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False)
    X = vectorizer.fit_transform([" ".join(jieba.lcut(t)) for t in train_texts])
    model = OneVsRestClassifier(LogisticRegression(max_iter=1000)).fit(X, Y)

    def run(text: str):
        row = model.predict(vectorizer.transform([" ".join(jieba.lcut(text))]))[0]
        sentiment = SnowNLP(text).sentiments if text.strip() else 0.5
        return [c for c, on in zip(binarizer.classes_, row) if on], sentiment

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="comments to process (distinct corpus comments up to its size)")
    parser.add_argument("--jobs", type=int, default=2, help="textmine worker processes")
    parser.add_argument("--repeat", type=int, default=3, help="textmine runs; the median time is kept")
    parser.add_argument("--input", type=Path, help="take the comments from this CSV instead of the corpus")
    args = parser.parse_args()

    import textmine
    from textmine.batch import Progress, classify_file
    from textmine.taxonomy import parse_labels

    base = corpus_texts()
    with open(Path(__file__).resolve().parents[1] / "corpora" / "feedback_labelled.csv", encoding="utf-8") as f:
        labels = [list(parse_labels(r["labels"])) for r in csv.DictReader(f)]
    if args.input:
        import pandas as pd
        from textmine.io import find_text_column

        frame = pd.read_csv(args.input, dtype=str, keep_default_na=False)
        texts = frame[find_text_column(list(frame.columns), None)].tolist()[:args.rows]
    else:
        texts = [base[(i * 7919) % len(base)] for i in range(args.rows)]
    chars = sum(map(len, texts))
    model = textmine.load_model()
    model.analyze(["预热"])

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.csv"
        with open(src, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text"])
            writer.writerows([t] for t in texts)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            classify_file(src, Path(tmp) / "out.csv", model=model, jobs=args.jobs, progress=Progress("", enabled=False))
            times.append(time.perf_counter() - start)
        ours_s = statistics.median(times)
    # textmine runs first, from the state a CLI run starts in: after the naive pipeline had
    # been built and run in this process, the forked workers took about a quarter longer
    run = naive_pipeline(base, labels)
    start = time.perf_counter()
    naive = [run(t) for t in texts]
    naive_s = time.perf_counter() - start
    print(f"{len(texts):,} comments, {chars:,} characters")
    print(f"naive per-row jieba + sklearn + SnowNLP: {naive_s:8.2f} s  {len(texts) / naive_s:10,.0f} rows/s  "
          f"{chars / naive_s:12,.0f} chars/s")
    print(f"textmine classify (--jobs {args.jobs}):           {ours_s:8.2f} s  {len(texts) / ours_s:10,.0f} rows/s  "
          f"{chars / ours_s:12,.0f} chars/s")
    print(f"textmine runs: {', '.join(f'{t:.2f} s' for t in times)}")
    print(f"speed-up: {naive_s / ours_s:.1f}x  (naive rows kept: {len(naive)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
