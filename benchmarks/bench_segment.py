"""Preprocessing + segmentation throughput against plain ``jieba.lcut``, side by side.

Both run in this one process on the same texts (the project's labelled corpus, repeated
to the requested size), each after a warm-up, alternating over several rounds; the
figures are characters per second, median over rounds.

    python benchmarks/bench_segment.py [--chars 2000000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

from _corpus import corpus_texts


def _rate(fn, texts: list[str], chars: int) -> float:
    start = time.perf_counter()
    for text in texts:
        fn(text)
    return chars / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=2_000_000, help="characters of text to process per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import jieba

    from textmine.segment import Segmenter

    base = corpus_texts()
    texts, chars = [], 0
    while chars < args.chars:
        for t in base:
            texts.append(t)
            chars += len(t)
    jieba.initialize()
    jieba.lcut("预热")
    rows = {"jieba.lcut": [], "textmine (normalise + segment)": [], "textmine, no clause cache": []}
    for _ in range(args.rounds):
        rows["jieba.lcut"].append(_rate(jieba.lcut, texts, chars))
        cached, uncached = Segmenter(), Segmenter(cache_size=0)
        cached.lcut("预热")
        uncached.lcut("预热")
        rows["textmine (normalise + segment)"].append(_rate(cached.document, texts, chars))
        rows["textmine, no clause cache"].append(_rate(uncached.document, texts, chars))
    print(f"{len(texts):,} comments, {chars:,} characters per round, {args.rounds} rounds")
    ref = statistics.median(rows["jieba.lcut"])
    for name, rates in rows.items():
        med = statistics.median(rates)
        print(f"{name:<34} {med:>12,.0f} chars/s  ({med / ref:.2f}x jieba.lcut)")


if __name__ == "__main__":
    main()
