"""One way to ask a model's family: whether a model is Bayesian and which criterion prunes it
follow from its model kind (``bnntut.models.is_bayesian``, ``bnntut.prune.criterion_for``),
never from a method's name or from which keys a result holds.  The sources are read as text,
so that the test sees every chapter and module."""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Family tests by a method's name or by a result's keys: ``pattern -> what it does``.
FORBIDDEN = {
    r"""[=!]=\s*["']bbb["']""": "compares a method's name with BBB's",
    r"""startswith\(\s*["']bbb""": "tests a method's name for a BBB prefix",
    r"""["']snr["']\s+(not\s+)?in\b""": "tests a result for an SNR sweep",
    r"""\bin\s+[\w.]+\[\s*["']prune["']\s*\]""": "tests which sweeps a result holds",
    r"""\[\s*["']family["']\s*\]\s*[!=]=""": "compares a stored family",
    r"""\bkind["']?\s*\]?\s*[!=]=\s*["'](bayesian|mlp)["']""": "compares a model kind",
}

#: The one place each answer is defined: ``function -> module``.
DEFINED_ONCE = {"is_bayesian": "bnntut/models.py", "criterion_for": "bnntut/prune.py"}


def _sources() -> list[pathlib.Path]:
    return sorted([*(ROOT / "bnntut").glob("*.py"), *(ROOT / "bnnbook").glob("*.py"),
                   *(ROOT / "book").glob("*.py")])


def _relative(path: pathlib.Path, root: pathlib.Path = ROOT) -> str:
    return path.relative_to(root).as_posix()


def family_tests(path: pathlib.Path, root: pathlib.Path = ROOT) -> list[str]:
    """``"file:line: what"`` of every :data:`FORBIDDEN` match in ``path`` (the kind
    comparisons of ``bnntut/models.py``, which defines the kinds, excepted)."""
    name, found = _relative(path, root), []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        for pattern, what in FORBIDDEN.items():
            if "kind" in pattern and name == DEFINED_ONCE["is_bayesian"]:
                continue
            if re.search(pattern, line):
                found.append(f"{name}:{number}: {what}: {line.strip()}")
    return found


def test_no_family_test_by_name_or_result_keys():
    found = [hit for path in _sources() for hit in family_tests(path)]
    assert not found, ("ask bnntut.models.is_bayesian / bnntut.prune.criterion_for (or the "
                       "method's registry entry) instead:\n" + "\n".join(found))


def test_each_answer_is_defined_once():
    for name, home in DEFINED_ONCE.items():
        places = [_relative(p) for p in _sources()
                  if re.search(rf"^\s*def {name}\b|^{name}\s*=", p.read_text(), re.M)]
        assert places == [home], (name, places)


def test_the_patterns_catch_what_they_forbid(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('if method == "bbb":\n'
                     'x = name.startswith("bbb-")\n'
                     'if "snr" in result["prune"]:\n'
                     'b = "l1" not in sweeps\n'
                     'ok = crit in r["prune"]\n'
                     'if spec["kind"] == "mlp":\n'
                     'c = "snr" if res["family"] == "bayesian" else "l1"\n'
                     'fine = criterion_for(result["config"]["model"])\n')
    lines = [hit.split(":")[1] for hit in family_tests(probe, tmp_path)]
    assert sorted(set(lines), key=int) == ["1", "2", "3", "5", "6", "7"]


def test_every_method_answers_from_its_model_kind():
    from bnntut import methods, models, prune

    for method in methods.REGISTRY.values():
        kind = method.config["model"]["kind"]
        assert method.bayesian == models.is_bayesian(kind) == (kind == "bayesian")
        assert method.criterion == prune.criterion_for(method.config["model"])
    torch_free = {"kind": "bayesian", "hidden": [4]}
    assert models.is_bayesian(torch_free) and prune.criterion_for("mlp") == "l1"
    assert models.is_bayesian(models.bayesian_mlp(hidden=(4,)))
    assert not models.is_bayesian(models.mlp(hidden=(4,)))
    with pytest.raises(ValueError, match="unknown model kind 'bbb'; allowed: mlp, bayesian"):
        models.is_bayesian("bbb")                  # a method's name is not a model kind
