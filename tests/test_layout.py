"""The library stays thin: it imports without the book's dependencies, never imports the
book's package, and every module of both packages is listed in the README's layout table."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK_ONLY = ("matplotlib", "pandas", "plotly", "ipywidgets", "IPython", "jinja2", "bnnbook")


def _modules(package: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / package).glob("*.py") if not p.stem.startswith("_"))


def test_library_imports_without_the_book_dependencies():
    # A fresh interpreter where the book's packages cannot be imported at all.
    script = (
        "import importlib, sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {BOOK_ONLY!r}:\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {_modules('bnntut')!r}:\n"
        "    importlib.import_module('bnntut.' + m)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_library_never_names_the_book_package():
    for path in (ROOT / "bnntut").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                    a.name for a in node.names]
                assert not any(n.split(".")[0] in BOOK_ONLY for n in names), (path, names)


def test_readme_layout_lists_every_module():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):readme.index("## Install")]
    for package in ("bnntut", "bnnbook"):
        row = next(line for line in layout.splitlines() if line.startswith(f"| `{package}/`"))
        missing = [m for m in _modules(package) if f"`{m}`" not in row]
        assert not missing, f"README layout row of {package}/ lacks {missing}"
