"""Command line: ``python -m bnntut reproduce|train|uncertainty|compression …``."""

from __future__ import annotations

import argparse
import sys
import time

from . import budget, compression, criteria, experiment, finetune, metadata, uncertainty
from .data import DATASETS
from .devices import DEVICES, resolve
from .presets import PRESETS, SEARCH_SPACES, get_preset, search_points

QUICK_NOTE = ("QUICK MODE: models trained on a 2000/1000 subset for 2 epochs (compression: "
              "0.05 s of timing per number) — a smoke test, not a result.")


def seed(text: str) -> int:
    """argparse type of a seed: an integer >= 0 (torch rejects negative seeds later)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is an integer >= 0, got {text!r}")
    return value


def _add_common(parser: argparse.ArgumentParser, preset_default: str, preset_help: str,
                device_default: str = "auto") -> None:
    parser.add_argument("--preset", choices=list(PRESETS), default=preset_default,
                        help=f"{preset_help} (default: {preset_default})")
    parser.add_argument("--device", choices=list(DEVICES), default=device_default,
                        help=f"'auto' picks CUDA when available (default: {device_default})")
    parser.add_argument("--out", default=None,
                        help="results folder (default: $BNNTUT_RESULTS or the project's "
                             "results/)")


def _add_selection(parser: argparse.ArgumentParser, methods: list[str], preset_help: str,
                   device_default: str = "auto", seeds: bool = True) -> None:
    """The options of the commands that loop over a preset's models."""
    _add_common(parser, "quick", preset_help, device_default)
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=None,
                        help="datasets to run (default: all of the preset)")
    parser.add_argument("--methods", nargs="+", choices=methods, default=None,
                        help="methods to run (default: all of the preset)")
    if not seeds:
        return
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--seed", type=seed, default=None, help="override the preset's seed")
    group.add_argument("--seeds", type=seed, nargs="+", default=None,
                       help="run every model once per seed (results of seed k != the preset's "
                            "are stored as <method>-seed<k>)")


def positive(text: str) -> int:
    """argparse type of a count: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


def _tasks(args, preset) -> list[dict]:
    return [{"dataset": d, "method": m, "seed": s}
            for s in args.seeds or [args.seed]
            for d in args.datasets or preset.datasets
            for m in args.methods or list(preset.methods)]


def _summary_of(module) -> str:
    """The first paragraph of a module's docstring, as one line."""
    return " ".join((module.__doc__ or "").split("\n\n")[0].split())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bnntut",
        description="Reproduce and check 'Model compression using Bayesian Deep Learning'.")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error instead of one line")
    commands = parser.add_subparsers(dest="command", required=True)
    # Every method of every preset, in order; method_config checks the pair.  A search
    # space's grid is chosen by its factors (the grid command), not by name.
    grids = {search["grid"] for search in SEARCH_SPACES.values()}
    trainable = list(dict.fromkeys(m for name in PRESETS if name not in grids
                                   for m in get_preset(name).all_methods))

    rep = commands.add_parser(
        "reproduce", help="train, prune and evaluate every (dataset, method) of a preset",
        description="Runs every model of a preset; a current result in --out is reused, a "
                    "missing or stale one is (re)computed, resuming from checkpoints.")
    _add_selection(rep, trainable, "'paper': the study's full protocol (50 epochs); 'quick': "
                                   "a 2000/1000 subset for 2 epochs, for smoke tests; "
                                   "'blundell': Blundell et al.'s 2 x 1200 net for 600 epochs, "
                                   "plain SGD over their learning-rate grid (a GPU's work); "
                                   "'blundell-cpu': that net with Adam on a quarter of the "
                                   "schedule for two CPU cores")
    rep.add_argument("--retrain", action="store_true",
                     help="recompute even when a current result exists")
    rep.add_argument("--batched", choices=["auto", "on", "off"], default="auto",
                     help="train the models that share a network shape as one stacked "
                          "computation: 'auto' on CUDA, 'off' trains each alone (the plain "
                          "path; default: auto)")
    rep.add_argument("--ray", action="store_true",
                     help="one Ray task per model (the 'cluster' extra): a local Ray, or the "
                          "cluster named by --address / $RAY_ADDRESS")
    rep.add_argument("--address", default=None, help="a running Ray cluster (with --ray)")
    rep.add_argument("--gpus-per-task", type=float, default=None,
                     help="GPU fraction of one Ray task (default: 0.25 on CUDA, else 0)")

    for name, module, summary in (
            ("finetune", finetune, "fine-tune every pruned model with its mask held fixed"),
            ("criteria", criteria, "sweep every model with every pruning criterion of its "
                                   "family, with and without biases"),
            ("uncertainty", uncertainty, "calibration and OOD detection of every pruned "
                                         "model of a preset")):
        sub = commands.add_parser(name, help=summary, description=_summary_of(module)
                                  + " Trains models whose result is missing.")
        _add_selection(sub, trainable, "which preset's models",
                       "cpu" if module is uncertainty else "auto", module is not uncertainty)
        sub.add_argument("--recompute", action="store_true",
                         help="recompute even when a current result exists")
        if module is finetune:
            _add_schedule(sub)

    _add_grid(commands)

    tr = commands.add_parser("train", help="train (or load) one model and print its summary",
                             description="Trains one (dataset, method) of a preset.")
    tr.add_argument("--dataset", choices=list(DATASETS), required=True, help="which dataset")
    tr.add_argument("--method", choices=trainable, required=True, help="which method")
    _add_common(tr, "paper", "protocol to follow")
    tr.add_argument("--epochs", type=int, default=None, help="override the preset's epochs")
    tr.add_argument("--seed", type=seed, default=None, help="override the preset's seed")
    tr.add_argument("--retrain", action="store_true", help="recompute even when cached")

    bud = commands.add_parser(
        "budget", help="the equal-budget comparison: each family's grid, chosen on validation",
        description=_summary_of(budget))
    bud.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=None,
                     help="datasets to run (default: both)")
    bud.add_argument("--families", nargs="+",
                     choices=list(get_preset("budget").selection["families"]), default=None,
                     help="families to run (default: all)")
    bud.add_argument("--device", choices=list(DEVICES), default="auto",
                     help="'auto' picks CUDA when available (default: auto)")
    bud.add_argument("--out", default=None,
                     help="results folder (default: $BNNTUT_RESULTS or the project's results/)")

    comp = commands.add_parser(
        "compression", help="bytes in CSR and dense-vs-sparse inference latency of a preset",
        description=_summary_of(compression))
    _add_common(comp, "quick", "'paper': committed models, 1 s of timing per number; 'quick': "
                               "smoke test", "cpu")
    comp.add_argument("--remeasure", action="store_true",
                      help="measure again even when a current result exists")
    return parser


def _add_schedule(parser: argparse.ArgumentParser) -> None:
    """The ``finetune`` command's choice of schedule (:data:`bnntut.finetune.SCHEDULES`)."""
    parser.add_argument("--schedule", choices=list(finetune.SCHEDULES), default="study",
                        help="'study': the study's short schedule (the preset's finetune "
                             "settings, stored as .finetune.json); 'literature': retraining "
                             "at the training learning rate as Han et al. (2015) do (the "
                             "preset's retrain settings, stored as .retrain.json); "
                             "'literature-long': the same run longer at the highest amount "
                             "(the preset's retrain_long settings, stored as "
                             ".retrain-long.json; default: study)")


def _add_grid(commands) -> None:
    """The ``grid`` command: a slice of a preset's search space as Ray tasks."""
    grid = commands.add_parser(
        "grid", help="train a preset's search space (Blundell et al.'s 324 settings) on Ray",
        description="Trains every setting of a preset's search space, or the slice chosen by "
                    "the factor options and --limit, as one Ray task per model (a local Ray, "
                    "or the cluster named by --address / $RAY_ADDRESS). Results are stored "
                    "under the grid's own preset (blundell-grid); current ones are skipped.")
    grid.add_argument("--preset", choices=list(SEARCH_SPACES), default="blundell",
                      help="whose search space (default: blundell)")
    factors: dict[str, list] = {}
    for search in SEARCH_SPACES.values():
        for factor, values in search["space"].items():
            factors.setdefault(factor, []).extend(v for v in values
                                                  if v not in factors.get(factor, []))
    for factor, values in factors.items():
        grid.add_argument(f"--{factor.replace('_', '-')}", dest=factor, nargs="+",
                          type=type(values[0]), choices=values, default=None,
                          metavar=factor.upper(),
                          help=f"only these values of {factor} (of "
                               f"{', '.join(map(str, values))}; default: all)")
    grid.add_argument("--limit", type=positive, default=None,
                      help="only the first N settings (grid order; default: all)")
    grid.add_argument("--seeds", type=seed, nargs="+", default=None,
                      help="train every setting once per seed (default: the preset's)")
    grid.add_argument("--epochs", type=positive, default=None,
                      help="override the preset's epochs (results stored as "
                           "<method>-epochs<n>)")
    grid.add_argument("--device", choices=list(DEVICES), default="auto",
                      help="'auto' picks CUDA when available, on each worker (default: auto)")
    grid.add_argument("--out", default=None,
                      help="results folder (default: $BNNTUT_RESULTS or the project's results/)")
    grid.add_argument("--address", default=None,
                      help="a running Ray cluster (default: $RAY_ADDRESS, else a local Ray)")
    grid.add_argument("--cpus-per-task", type=positive, default=1,
                      help="CPU cores (PyTorch threads) of one Ray task (default 1)")
    grid.add_argument("--gpus-per-task", type=float, default=None,
                      help="GPU fraction of one Ray task (default: 0.25 on CUDA, else 0)")


def _summary(result: dict) -> str:
    config, meta = result["config"], result["metadata"]
    final = result["history"][-1]
    sweep = result["prune"].get("snr", result["prune"]["l1"])
    at = dict(zip(sweep["amounts"], sweep["accuracy"]))
    pruned = "  ".join(f"{int(a * 100)}%:{at[a]:.4f}" for a in (0.5, 0.75, 0.9) if a in at)
    return (f"{config['dataset']:>13} {config['method']:<10} epochs={final['epoch']:<3} "
            f"test acc={final['test_accuracy']:.4f}  pruned {pruned}  "
            f"train {meta['seconds']['train_epochs']:.1f}s on {meta['device_name']}")


def _uncertainty_summary(result: dict) -> str:
    config = result["config"]
    parts = (f"{mode}: ECE {r[0]['ece']:.3f}->{r[-1]['ece']:.3f}  "
             f"AUROC {r[0]['auroc']:.3f}->{r[-1]['auroc']:.3f}"
             for mode, r in result["modes"].items())
    return (f"{config['dataset']:>13} {config['method']:<10} "
            f"(0 -> {config['amounts'][-1]:.0%} removed)  " + "  ".join(parts))


def _run_uncertainty(args, preset) -> None:
    loaded: dict = {}
    for dataset in args.datasets or preset.datasets:
        for method in args.methods or list(preset.methods):
            start = time.perf_counter()
            result = uncertainty.run(dataset, method, args.preset, device=args.device,
                                     results=args.out, recompute=args.recompute,
                                     datasets=loaded)
            print(f"{_uncertainty_summary(result)}  "
                  f"[{time.perf_counter() - start:.1f}s this call]", flush=True)


def _run_compression(args, preset) -> None:
    result = compression.run(args.preset, device=args.device, results=args.out,
                             remeasure=args.remeasure)
    lat = result["latency"]
    print(f"CSR smaller than dense above {result['break_even_sparsity']:.4f} of weights removed")
    for batch, values in lat["batches"].items():
        speedups = "  ".join(f"{s:.0%}:{v:.2f}x" for s, v in zip(lat["amounts"],
                                                                values["speedup"]))
        print(f"batch {batch:>3}: dense/CSR time {speedups}  "
              f"(sparse pays from {lat['sparse_pays_from'][batch]}; dense time spread "
              f"{lat['dense_spread'][batch]:.2f}, 1 on a quiet machine)")
    print(f"measured on {result['metadata']['device_name']}")
    print(compression.result_path(args.preset, args.device, args.out))


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status: 0 done, 1 an error while running (one line on
    stderr; the traceback with ``--debug``), 2 bad usage (argparse's message)."""
    parser = _parser()
    args = parser.parse_args(argv)
    metadata.git_commit()   # describe the code as imported, before anything can edit it
    try:
        return _dispatch(args)
    except (ValueError, OSError, RuntimeError) as error:
        if args.debug:
            raise
        message = " ".join(str(error).split())
        print(f"python -m bnntut: error: {message} (add --debug for the traceback)",
              file=sys.stderr)
        return 1


def _dispatch(args) -> int:
    if args.command == "budget":
        return _run_budget(args)
    if args.command == "grid":
        return _run_grid(args)
    if args.command == "train":
        result = experiment.run(args.dataset, args.method, args.preset, seed=args.seed,
                                epochs=args.epochs, device=args.device, results=args.out,
                                retrain=args.retrain)
        print(_summary(result))
        return 0
    preset = get_preset(args.preset)
    if args.preset == "quick":
        print(QUICK_NOTE)
    start = time.perf_counter()
    {"uncertainty": _run_uncertainty, "compression": _run_compression,
     "finetune": _run_derived, "criteria": _run_derived,
     "reproduce": _run_reproduce}[args.command](args, preset)
    print(f"total wall time {time.perf_counter() - start:.1f}s")
    return 0


def _check_log(preset: str, args) -> None:
    """Read the timing log the command appends to at its end, so that a corrupt one stops the
    command before any training (:class:`bnntut.store.CorruptFileError` names the file)."""
    experiment.reproduce_log(preset, resolve(args.device).type, args.out)


def _run_reproduce(args, preset) -> None:
    _check_log(args.preset, args)
    if args.ray or args.batched == "on" or (args.batched == "auto"
                                            and resolve(args.device).type == "cuda"):
        return _run_reproduce_together(args, preset)
    runs = []
    start = time.perf_counter()
    for task in _tasks(args, preset):
        result, seconds = _timed_run(**task, preset=args.preset, device=args.device,
                                     results=args.out, retrain=args.retrain)
        runs.append(_run_record(result, seconds))
        print(f"{_summary(result)}  [{seconds:.1f}s this call]", flush=True)
    experiment.record_reproduce_run(args.preset, runs, time.perf_counter() - start,
                                    device=args.device, results=args.out, runner="in-process",
                                    tag=_selection_tag(args))


def _report_recorded(results: list[dict]) -> list[dict]:
    """Print one line per result trained elsewhere (batched or on Ray), with the seconds its
    metadata records, and return their timing-log entries (:func:`_run_record`)."""
    runs = []
    for result in results:
        seconds = sum(result["metadata"]["seconds"].values())
        runs.append(_run_record(result, seconds))
        print(f"{_summary(result)}  [{seconds:.1f}s recorded]", flush=True)
    return runs


def _run_record(result: dict, seconds: float) -> dict:
    """One run of a command as its timing log records it."""
    config = result["config"]
    return {"dataset": config["dataset"], "method": config["method"],
            "seed": config["train"]["seed"], "seconds": seconds,
            "config_hash": result["config_hash"]}


def _run_reproduce_together(args, preset) -> None:
    """``reproduce`` as one batch per network shape, or as Ray tasks."""
    tasks, start = _tasks(args, preset), time.perf_counter()
    if args.ray:
        from . import cluster

        results = cluster.run_grid(tasks, preset=args.preset, device=args.device,
                                   results=args.out, address=args.address,
                                   gpus_per_task=args.gpus_per_task)
    else:
        results = experiment.run_many(tasks, args.preset, device=args.device,
                                      results=args.out, batched_training=True,
                                      retrain=args.retrain)
    runs = _report_recorded(results)
    how = "ray" if args.ray else "batched"
    experiment.record_reproduce_run(args.preset, runs, time.perf_counter() - start,
                                    device=args.device, results=args.out, runner=how,
                                    tag="_".join(t for t in (_selection_tag(args), how) if t))


def _run_budget(args) -> int:
    _check_log("budget", args)
    runs, start = [], time.perf_counter()

    def report(result, seconds):
        runs.append(_run_record(result, seconds))
        print(f"{_summary(result)}  [{seconds:.1f}s this call]", flush=True)

    chosen = budget.run(args.datasets, args.families, device=args.device, results=args.out,
                        on_result=report)
    for dataset, picks in chosen.items():
        for family, method in picks.items():
            print(f"{dataset:>13} {family:<12} chosen on validation: {method}")
    tag = "_".join("-".join(c) for c in (args.datasets or [], args.families or []) if c)
    experiment.record_reproduce_run("budget", runs, time.perf_counter() - start,
                                    device=args.device, results=args.out, tag=tag)
    print(f"total wall time {time.perf_counter() - start:.1f}s")
    return 0


def _selection_tag(args) -> str:
    """Names a run of part of a preset in its timing record (``""``: all of it)."""
    seeds = args.seeds or ([] if args.seed is None else [args.seed])
    chosen = [[f"seeds-{'-'.join(map(str, seeds))}"] if seeds else [], args.datasets or [],
              args.methods or []]
    return "_".join("-".join(c) for c in chosen if c)


def _timed_run(**task) -> tuple[dict, float]:
    start = time.perf_counter()
    result = experiment.run(**task)
    return result, time.perf_counter() - start


def _run_derived(args, preset) -> None:
    module = {"finetune": finetune, "criteria": criteria}[args.command]
    common = {"preset": args.preset, "device": args.device, "results": args.out,
              "recompute": args.recompute}
    if module is finetune:
        common["schedule"] = args.schedule
    for task in _tasks(args, preset):
        result = module.run(**task, **common)
        seconds = sum(result["metadata"]["seconds"].values())
        seed = result["config"]["training"]["train"]["seed"]
        print(f"{task['dataset']:>13} {task['method']:<16} seed={seed}  "
              f"{_derived_summary(result)}  [{seconds:.1f}s]", flush=True)


def _derived_summary(result: dict) -> str:
    if "by_amount" in result:
        return "  ".join(f"{lv['amount']:.0%}: {lv['before']['accuracy']:.4f}->"
                         f"{lv['after']['accuracy']:.4f}" for lv in result["by_amount"])
    at_90 = {name: dict(zip(s["amounts"], s["accuracy"])).get(0.9, float("nan"))
             for name, s in result["sweeps"]["with_bias"].items()}
    return "  ".join(f"{name}@90%: {acc:.4f}" for name, acc in at_90.items())


def _run_grid(args) -> int:
    from . import cluster

    space = SEARCH_SPACES[args.preset]["space"]
    only = {f: getattr(args, f) for f in space if getattr(args, f) is not None}
    grid, tasks = cluster.search_tasks(args.preset, only=only, limit=args.limit,
                                       seeds=args.seeds, epochs=args.epochs)
    _check_log(grid, args)
    settings = len({t["method"] for t in tasks})
    print(f"{grid}: {settings} of {len(search_points(space))} settings x "
          f"{len(args.seeds or [None])} seed(s) on Ray", flush=True)
    start = time.perf_counter()
    results = cluster.run_grid(tasks, preset=grid, device=args.device, results=args.out,
                               address=args.address, cpus_per_task=args.cpus_per_task,
                               gpus_per_task=args.gpus_per_task)
    runs = _report_recorded(results)
    tag = "_".join(["grid", *(f"{f}-{'-'.join(map(str, v))}" for f, v in only.items()),
                    *([f"limit-{args.limit}"] if args.limit else []),
                    *([f"seeds-{'-'.join(map(str, args.seeds))}"] if args.seeds else []),
                    *([f"epochs-{args.epochs}"] if args.epochs else [])])
    experiment.record_reproduce_run(grid, runs, time.perf_counter() - start,
                                    device=args.device, results=args.out, runner="ray",
                                    tag=tag)
    print(f"total wall time {time.perf_counter() - start:.1f}s")
    return 0
