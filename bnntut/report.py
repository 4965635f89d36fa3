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
    """Markdown table: our accuracy per method and pruned fraction (bold), below it the
    study's where it reported one and the difference (ours − study's).  BBB gets two rows:
    posterior mean and Monte Carlo ensemble."""
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
                    cell += f"<br><small>{_fmt(theirs)}, {ours - theirs:+.4f}</small>"
                cells.append(cell)
            lines.append(f"| {METHOD_LABELS[method]}{suffix} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def epochs_to_reach(result: dict, key: str, level: float, below: bool = True) -> int | None:
    """First epoch whose ``key`` is ≤ ``level`` (``below``) or ≥ it; ``None`` if never."""
    for record in result["history"]:
        if (record[key] <= level) if below else (record[key] >= level):
            return record["epoch"]
    return None


def ranking_at(results: dict[str, dict], amount: float) -> list[tuple[str, float]]:
    """``(method, accuracy)`` pairs after pruning ``amount`` (BBB: SNR, posterior mean), best
    first."""
    pairs = [(m, accuracy_at(r, amount)) for m, r in results.items()]
    return sorted(pairs, key=lambda pair: -pair[1])


def criterion_wins(result: dict, amounts: tuple[float, ...], better: str = "l1",
                   worse: str = "snr") -> list[float]:
    """The amounts at which criterion ``better`` gives a higher accuracy than ``worse``."""
    return [a for a in amounts
            if accuracy_at(result, a, better) > accuracy_at(result, a, worse)]


def rows_table(rows: dict[str, dict[float, float]], label: str = "Pruning") -> str:
    """Markdown table of accuracies: one row per entry of ``rows`` (``{amount: accuracy}``),
    one column per pruned fraction."""
    amounts = sorted({a for row in rows.values() for a in row})
    lines = [f"| {label} | " + " | ".join(f"{a:.0%} removed" for a in amounts) + " |",
             "|---" * (len(amounts) + 1) + "|"]
    for name, row in rows.items():
        name = name.replace("|", "\\|")   # a literal | would end the table cell
        lines.append(f"| {name} | " + " | ".join(
            f"{row[a]:.4f}" if a in row else "" for a in amounts) + " |")
    return "\n".join(lines)
