"""A chapter run as Colab runs it: ``google.colab`` imported, no ``bnntut`` installed, the
install cell cloning the repository (here a local clone, named by ``$BNNTUT_REPOSITORY``)
and installing it into the runtime's Python, then the whole chapter executing.

The runtime is a fresh virtual environment that sees this machine's packages the way Colab
sees its preinstalled ones (torch, matplotlib, …) but not this checkout's ``bnntut``. Slow
(a clone and a pip install): it runs when ``BNNTUT_COLAB_TEST=1`` (``.ci/run`` sets it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "gpu_study"

pytestmark = pytest.mark.skipif(os.environ.get("BNNTUT_COLAB_TEST") != "1",
                                reason="slow: set BNNTUT_COLAB_TEST=1")


def _runtime(tmp: Path) -> Path:
    """A virtual environment whose Python finds the machine's packages but no ``bnntut``:
    the site-packages folder is on its path as a plain entry, so the editable install's
    finder (a ``.pth`` hook there) is not run."""
    venv = tmp / "runtime"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "machine_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    found = subprocess.run([str(python), "-c", "import importlib.util, torch; "
                            "print(importlib.util.find_spec('bnntut'))"], cwd=tmp,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert found == "None", "the runtime must not see this checkout's bnntut"
    return python


def _colab_profile(tmp: Path) -> Path:
    """An IPython profile whose startup imports a stand-in ``google.colab``, as Colab's
    runtime has it imported before the first cell."""
    stub = tmp / "stub" / "google" / "colab"
    stub.mkdir(parents=True)
    (stub.parent / "__init__.py").write_text("")
    (stub / "__init__.py").write_text('"""Stand-in for Colab\'s module (tests only)."""\n')
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(tmp / "stub")!r})
        import google.colab  # noqa: F401
        """))
    return tmp / "ipython"


def test_a_chapter_runs_as_in_colab(tmp_path):
    clone = tmp_path / "origin"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    python = _runtime(tmp_path)
    content = tmp_path / "content"          # Colab's working folder
    content.mkdir()
    notebook = content / f"{CHAPTER}.ipynb"
    notebook.write_bytes((clone / "book" / f"{CHAPTER}.ipynb").read_bytes())
    kernels = tmp_path / "jupyter" / "kernels" / "colab"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab stand-in", "language": "python"}))
    env = {**os.environ, "BNNTUT_REPOSITORY": f"file://{clone}",
           "IPYTHONDIR": str(_colab_profile(tmp_path)), "PYTHONNOUSERSITE": "1",
           "JUPYTER_PATH": str(tmp_path / "jupyter")}
    env.pop("PYTHONPATH", None)
    env.pop("BNNTUT_RESULTS", None)
    run = textwrap.dedent(f"""\
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read({str(notebook)!r}, as_version=4)
        NotebookClient(nb, timeout=900, kernel_name="colab",
                       resources={{"metadata": {{"path": {str(content)!r}}}}}).execute()
        nbformat.write(nb, {str(notebook)!r})
        """)
    finished = subprocess.run([str(python), "-c", run], cwd=content, env=env,
                              capture_output=True, text=True, timeout=1800)
    assert finished.returncode == 0, finished.stderr[-3000:]
    # the install cell cloned and installed the repository the variable named
    assert (content / "bnntut-repo" / "bnntut" / "__init__.py").exists()
    located = subprocess.run([str(python), "-c", "import bnntut; print(bnntut.__file__)"],
                             cwd=tmp_path, env=env, check=True, capture_output=True,
                             text=True).stdout.strip()
    assert located.startswith(str(content / "bnntut-repo"))
