from pathlib import Path

import pytest

from bnntut import presets, study

REPORT = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "report.txt"


@pytest.mark.skipif(not REPORT.exists(), reason="the study's text is not beside the repository")
def test_transcribed_tables_match_the_report():
    lines = REPORT.read_text().splitlines()
    for dataset, title in (("mnist", "Table 1:"), ("fashion-mnist", "Table 2:")):
        start = next(i for i, line in enumerate(lines) if line.startswith(title))
        rows = {}
        for line in lines[start + 3:start + 8]:
            label, *values = line.split("\t")
            rows[label] = tuple(float(v) for v in values)
        for method, label in presets.METHOD_LABELS.items():
            key = "SGD" if method == "sgd" else label
            assert rows[key] == study.STUDY_TABLES[dataset][method]
