"""Tables of the book, as pandas DataFrames built from stored results, and the small
helpers every table builder of the package shares (number formats, percent labels,
assembling a frame from rows)."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import pandas as pd

from bnntut.evaluate import TABLE_AMOUNTS
from bnntut.models import is_bayesian
from bnntut.presets import METHOD_LABELS
from bnntut.prune import criterion_for
from bnntut.study import STUDY_AMOUNTS, STUDY_TABLES

from .style import DATASET_LABELS

#: pandas display options of the book's tables: every cell, row and column whole.  pandas'
#: defaults cut a text cell at 50 characters ("the reading that the prunability chapter
#: (sect...") and elide rows past 60 and columns past 20.
DISPLAY_OPTIONS = {"display.max_colwidth": None, "display.max_rows": None,
                   "display.max_columns": None}


def use_table_options() -> None:
    """Show the book's tables whole (:data:`DISPLAY_OPTIONS`); :func:`bnnbook.book.start`
    calls it for every chapter."""
    for option, value in DISPLAY_OPTIONS.items():
        pd.set_option(option, value)


#: Unicode superscripts of the characters an exponent is written with.
_SUPERSCRIPT = str.maketrans("0123456789-−+.i", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻⁺·ⁱ")


def superscript(text: str) -> str:
    """``text`` (digits, signs, a point, ``i``) in Unicode superscripts, for tables, legends
    and titles, where no math is rendered: ``superscript("-6") == "⁻⁶"``."""
    return text.translate(_SUPERSCRIPT)


def e_to(exponent: float) -> str:
    """``e`` to an integer power as text: ``e_to(-2) == "e⁻²"``, ``e_to(0) == "e⁰"``."""
    if exponent != round(exponent):
        raise ValueError(f"e_to takes an integer exponent, got {exponent!r}")
    return "e" + superscript(str(int(round(exponent))))


def accuracy_at(result: dict, amount: float, criterion: str | None = None,
                ensemble: bool = False) -> float:
    """Test accuracy of a stored result after pruning ``amount``.

    ``criterion`` defaults to the model's own (:func:`bnntut.prune.criterion_for`: ``snr``
    for BBB, ``l1`` otherwise); ``ensemble`` picks the
    Monte Carlo ensemble accuracy (BBB) instead of the posterior mean.

    Raises
    ------
    ValueError
        When the result has no such sweep or did not measure ``amount``; the message names
        what it has.
    """
    criterion = criterion or criterion_for(result["config"]["model"])
    sweep = result["prune"].get(criterion)
    if sweep is None:
        raise ValueError(f"no {criterion!r} sweep in this result; it has: "
                         f"{', '.join(result['prune'])}")
    if amount not in sweep["amounts"]:
        raise ValueError(f"{amount} is not a fraction this sweep measured; allowed: "
                         f"{', '.join(f'{a:g}' for a in sweep['amounts'])}")
    column = "accuracy_mc" if ensemble else "accuracy"
    return sweep[column][sweep["amounts"].index(amount)]


# ----------------------------------------------------------------- shared table helpers

#: What a table cell shows where the source has no value.
BLANK = ""


def number(value: float | None, digits: int = 4, sign: bool = False, unit: str = "") -> str:
    """A number as table text: ``digits`` decimals, ``sign`` forces ``+``/``−``, ``unit``
    is appended (``" %"``, ``"×"``).

    Returns
    -------
    str
        E.g. ``"0.9822"``, ``"−0.0211"`` (a true minus sign), ``"4.9×"``; :data:`BLANK` for
        ``None`` or NaN.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return BLANK
    text = f"{value:{'+' if sign else ''}.{digits}f}".replace("-", "−")
    return text + unit


def percent(fraction: float, suffix: str = "") -> str:
    """A fraction as a percent label with a space before the sign, as in the prose.

    Returns
    -------
    str
        ``percent(0.9)`` is ``"90 %"``, ``percent(0.9, "removed")`` is ``"90 % removed"``.
    """
    text = f"{fraction * 100:.0f} %"
    return f"{text} {suffix}" if suffix else text


def frame(rows: Mapping[Hashable, Mapping[Hashable, object]], index: str | Sequence[str] | None,
          columns: Sequence[Hashable] | None = None, columns_name: str | None = None,
          ) -> pd.DataFrame:
    """A DataFrame with one row per item of ``rows`` (``{row label: {column: cell}}``).

    Parameters
    ----------
    rows : mapping
        Row labels are strings, or tuples for a :class:`pandas.MultiIndex`; cells missing from
        a row become :data:`BLANK`.
    index : str or sequence of str or None
        Name(s) of the index level(s).
    columns : sequence, optional
        Column order (default: order of first appearance); tuples make a column MultiIndex.
    columns_name : str, optional
        Name shown above the column labels (e.g. ``"removed"`` over ``"90 %"``).

    Returns
    -------
    pandas.DataFrame
        The cells as given (formatted text from :func:`number` in the package's tables).
    """
    if columns is None:
        columns = list(dict.fromkeys(c for row in rows.values() for c in row))
    labels = list(rows)
    if labels and all(isinstance(label, tuple) for label in labels):
        row_index = pd.MultiIndex.from_tuples(labels, names=index)
    else:
        row_index = pd.Index(labels, name=index if isinstance(index, str) or index is None
                             else index[0])
    if columns and all(isinstance(c, tuple) for c in columns):
        column_index = pd.MultiIndex.from_tuples(columns)
    else:
        column_index = pd.Index(columns, name=columns_name)
    data = [[row.get(c, BLANK) for c in columns] for row in rows.values()]
    return pd.DataFrame(data, index=row_index, columns=column_index)


def highlight(table: pd.DataFrame, lower: Sequence[Hashable] = (),
              higher: Sequence[Hashable] = (), digits: int = 4):
    """A numeric table for display: ``digits`` decimals, and in bold the lowest value of
    each column in ``lower`` and the highest of each column in ``higher``.

    Returns
    -------
    pandas.io.formats.style.Styler
        Carries pandas' ``dataframe`` class, so the book's theme styles it like a plain
        DataFrame.
    """
    def bold(column: pd.Series, best) -> list[str]:
        return ["font-weight: bold" if v == best(column) else "" for v in column]

    styler = table.style.format(f"{{:.{digits}f}}").set_table_attributes('class="dataframe"')
    if lower:
        styler = styler.apply(bold, best=min, subset=list(lower))
    if higher:
        styler = styler.apply(bold, best=max, subset=list(higher))
    return styler


def provenance(metadata: dict, verb: str = "Computed") -> str:
    """Where and with what a stored result was made, as one short Markdown sentence that
    wraps on the page (instead of a long printed line).

    Parameters
    ----------
    metadata : dict
        A result's ``metadata`` (:mod:`bnntut.metadata`).
    verb : str
        First word, e.g. ``"Computed"``, ``"Measured"``, ``"trained"``.

    Returns
    -------
    str
        ``"{verb} on {device} with torch {version}, code at commit `{12 hex digits}`,
        finished {YYYY-MM-DD HH:MM} UTC."`` (the time only when recorded).
    """
    text = (f"{verb} on {metadata['device_name']} with torch {metadata['torch_version']}, "
            f"code at commit `{metadata['git_commit'][:12]}`")
    if metadata.get("finished"):
        text += f", finished {metadata['finished'][:16].replace('T', ' ')} UTC"
    return text + "."


def comparison_table(results: dict[str, dict], dataset: str,
                     amounts: tuple[float, ...] = TABLE_AMOUNTS) -> pd.DataFrame:
    """Our accuracy per method and pruned fraction next to the study's.

    Parameters
    ----------
    results : dict
        ``{method: result}`` of one dataset.
    dataset : {"mnist", "fashion-mnist"}
        Picks the study's table.
    amounts : tuple of float
        Pruned fractions, one column each.

    Returns
    -------
    pandas.DataFrame
        Index ``(Model, row)``: per method the rows ``ours``, ``study`` and ``difference``
        (ours − study; BBB twice: ``Bayes by Backprop, posterior mean`` and
        ``…, ensemble``, both against the study's one BBB row); columns ``"0 %"``, ``"50 %"``,
        … (name ``removed``).  Cells are accuracies as text with four decimals, blank where the
        study reported no value.
    """
    study = STUDY_TABLES[dataset]
    columns = [percent(a) for a in amounts]
    rows: dict = {}
    for method, result in results.items():
        variants = [(False, "")]
        if is_bayesian(result["config"]["model"]):
            variants = [(False, ", posterior mean"), (True, ", ensemble")]
        for ensemble, suffix in variants:
            name = METHOD_LABELS[method] + suffix
            ours = {a: accuracy_at(result, a, ensemble=ensemble) for a in amounts}
            theirs = {a: study[method][STUDY_AMOUNTS.index(a)] for a in amounts
                      if a in STUDY_AMOUNTS}
            rows[name, "ours"] = {percent(a): number(v) for a, v in ours.items()}
            rows[name, "study"] = {percent(a): number(v) for a, v in theirs.items()}
            rows[name, "difference"] = {percent(a): number(ours[a] - v, sign=True)
                                          for a, v in theirs.items()}
    return frame(rows, ["Model", ""], columns, "removed")


def study_table(datasets: Sequence[str] = ("mnist", "fashion-mnist")) -> pd.DataFrame:
    """The study's published Tables 1 and 2 side by side (test accuracy after pruning, no
    fine-tuning).

    Returns
    -------
    pandas.DataFrame
        Index ``Method`` (the study's five models); columns a MultiIndex
        ``(table, removed)``, e.g. ``("Table 1 — MNIST", "90 %")``; cells the published
        accuracies as text with four decimals.
    """
    titles = {d: f"Table {i} — {DATASET_LABELS.get(d, d)}" for i, d in enumerate(datasets, 1)}
    columns = [(titles[d], percent(a)) for d in datasets for a in STUDY_AMOUNTS]
    methods = dict.fromkeys(m for d in datasets for m in STUDY_TABLES[d])
    out = frame({METHOD_LABELS[m]: {(titles[d], percent(a)): number(v)
                                    for d in datasets
                                    for a, v in zip(STUDY_AMOUNTS, STUDY_TABLES[d][m])}
                 for m in methods}, "Method", columns)
    out.columns.names = ["", "removed"]
    return out


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


def rows_table(rows: dict[str, dict[float, float]], label: str = "Pruning") -> pd.DataFrame:
    """Accuracies (or shares) by pruned fraction, one row per entry of ``rows``.

    Parameters
    ----------
    rows : dict
        ``{row name: {amount: value}}``.
    label : str
        Name of the index (``""`` for none).

    Returns
    -------
    pandas.DataFrame
        Index: the row names (a ``|`` in a name is kept as it is); columns ``"0 %"``,
        ``"50 %"``, … (name ``removed``), the union of the amounts in ascending order; cells
        the values as text with four decimals, blank where a row has no value.
    """
    amounts = sorted({a for row in rows.values() for a in row})
    return frame({name: {percent(a): number(v) for a, v in row.items()}
                  for name, row in rows.items()},
                 label or None, [percent(a) for a in amounts], "removed")
