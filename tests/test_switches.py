"""Environment variables: read in one place (:mod:`bnntut.switches`), switches checked."""

import ast
import pathlib

import pytest

from bnntut import fastmath, switches

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _environment_reads(tree: ast.AST):
    """Line numbers of ``os.environ`` / ``os.getenv`` uses other than setting a variable
    (``os.environ[name] = value``)."""
    written = {id(node.value) for node in ast.walk(tree)
               if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del)}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
            and id(node) not in written]


def test_the_library_reads_the_environment_only_through_switches():
    reads = {path.name: lines for path in sorted((ROOT / "bnntut").glob("*.py"))
             if path.name != "switches.py"
             and (lines := _environment_reads(ast.parse(path.read_text())))}
    assert not reads, (f"os.environ / os.getenv read at {reads}; use "
                       "bnntut.switches.env_value or env_switch")


def test_setting_a_variable_is_not_a_read():
    tree = ast.parse("import os\nos.environ['A'] = '1'\nx = os.environ.get('B')\n")
    assert _environment_reads(tree) == [3]


def test_every_variable_the_library_names_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Environment variables"):]
    section = section[:section.index("\n## ", 1)]
    names = {node.value for path in (ROOT / "bnntut").glob("*.py")
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and node.value.startswith("BNNTUT_") and node.value.isupper()}
    assert names >= {"BNNTUT_DATA", "BNNTUT_COMPILE", "BNNTUT_CUDA_GRAPHS"}
    missing = sorted(n for n in names if f"`{n}`" not in section)
    assert not missing, f"README's Environment variables section lacks {missing}"


def test_env_value_treats_unset_and_empty_alike(monkeypatch):
    monkeypatch.delenv("BNNTUT_TEST_VALUE", raising=False)
    assert switches.env_value("BNNTUT_TEST_VALUE") is None
    assert switches.env_value("BNNTUT_TEST_VALUE", "d") == "d"
    monkeypatch.setenv("BNNTUT_TEST_VALUE", "")
    assert switches.env_value("BNNTUT_TEST_VALUE", "d") == "d"
    monkeypatch.setenv("BNNTUT_TEST_VALUE", "/some/folder")
    assert switches.env_value("BNNTUT_TEST_VALUE", "d") == "/some/folder"


def test_a_switch_has_a_default_and_names_it_in_its_error(monkeypatch):
    name = "BNNTUT_TEST_SWITCH"
    monkeypatch.delenv(name, raising=False)
    assert not switches.env_switch(name, off="a", on="b")
    assert switches.env_switch(name, off="a", on="b", default=True)
    monkeypatch.setenv(name, "0")
    assert not switches.env_switch(name, off="a", on="b", default=True)
    monkeypatch.setenv(name, "yes")
    with pytest.raises(ValueError, match=r"must be 0 \(a\) or 1 \(b, the default\), got 'yes'"):
        switches.env_switch(name, off="a", on="b", default=True)
    with pytest.raises(ValueError, match=r"must be 0 \(a, the default\) or 1 \(b\)"):
        switches.env_switch(name, off="a", on="b")


def test_compile_switch_is_on_by_default_and_checked(monkeypatch):
    monkeypatch.setattr(fastmath, "_COMPILE", {"enabled": None})
    monkeypatch.delenv(fastmath.COMPILE_ENV, raising=False)
    assert fastmath.compile_enabled()
    monkeypatch.setenv(fastmath.COMPILE_ENV, "0")
    assert not fastmath.compile_enabled()
    fastmath.set_compile(True)                              # an explicit choice wins
    assert fastmath.compile_enabled()
    fastmath.set_compile(None)
    monkeypatch.setenv(fastmath.COMPILE_ENV, "off")
    with pytest.raises(ValueError, match="BNNTUT_COMPILE must be 0"):
        fastmath.compile_enabled()
