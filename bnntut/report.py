"""Tables of the book, as Markdown text built from stored results."""

from __future__ import annotations

from .evaluate import TABLE_AMOUNTS
from .presets import METHOD_LABELS
from .study import STUDY_AMOUNTS, STUDY_TABLES


def accuracy_at(result: dict, amount: float, criterion: str | None = None,
                ensemble: bool = False) -> float:
    """Test accuracy of a stored result after pruning ``amount``.

    ``criterion`` defaults to ``snr`` for BBB and ``l1`` otherwise; ``ensemble`` picks the
    Monte Carlo ensemble accuracy (BBB) instead of the posterior mean.
    """
    sweeps = result["prune"]
    sweep = sweeps[criterion or ("snr" if "snr" in sweeps else "l1")]
    column = "accuracy_mc" if ensemble else "accuracy"
    return sweep[column][sweep["amounts"].index(amount)]


def _fmt(value: float) -> str:
    return f"{value:.4f}"


def comparison_table(results: dict[str, dict], dataset: str,
                     amounts: tuple[float, ...] = TABLE_AMOUNTS) -> str:
    """Markdown table: our accuracy per method and pruned fraction, the study's where it
    reported one, and the difference (ours − study's).  BBB gets two rows: posterior mean and
    Monte Carlo ensemble."""
    study = STUDY_TABLES[dataset]
    head = "| Method | " + " | ".join(f"{int(round(a * 100))} % pruned" for a in amounts) + " |"
    lines = [head, "|" + "---|" * (len(amounts) + 1)]
    for method, result in results.items():
        variants = [(False, "")]
        if "snr" in result["prune"]:
            variants = [(False, ", posterior mean"), (True, ", ensemble")]
        for ensemble, suffix in variants:
            cells = []
            for a in amounts:
                ours = accuracy_at(result, a, ensemble=ensemble)
                cell = f"**{_fmt(ours)}**"
                if a in STUDY_AMOUNTS:
                    theirs = study[method][STUDY_AMOUNTS.index(a)]
                    cell += f" ({_fmt(theirs)}; {ours - theirs:+.4f})"
                cells.append(cell)
            lines.append(f"| {METHOD_LABELS[method]}{suffix} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def epochs_to_reach(result: dict, key: str, level: float, below: bool = True) -> int | None:
    """First epoch whose ``key`` is ≤ ``level`` (``below``) or ≥ it; ``None`` if never."""
    for record in result["history"]:
        if (record[key] <= level) if below else (record[key] >= level):
            return record["epoch"]
    return None
