import pytest

from bnnbook import report


def test_number_and_percent_formats():
    assert report.number(0.98216) == "0.9822" and report.number(None) == report.BLANK
    assert report.number(-0.0211, sign=True) == "−0.0211"
    assert report.number(0.0038, sign=True) == "+0.0038"
    assert report.number(4.94, 1, unit="×") == "4.9×"
    assert report.percent(0.9) == "90 %" and report.percent(0.75, "removed") == "75 % removed"


def test_rows_table_keeps_names_and_blanks_missing_values():
    table = report.rows_table({"ranked by |μ|/σ": {0.5: 0.9, 0.9: 0.5}, "other": {0.9: 0.25}},
                              label="")
    assert list(table.columns) == ["50 %", "90 %"] and table.index.name is None
    assert table.loc["ranked by |μ|/σ"].tolist() == ["0.9000", "0.5000"]   # | kept as it is
    assert table.loc["other"].tolist() == [report.BLANK, "0.2500"]


def test_highlight_bolds_the_best_of_each_column():
    import pandas as pd

    table = pd.DataFrame({"error": [0.2, 0.1], "score": [0.7, 0.9]})
    html = report.highlight(table, lower=["error"], higher=["score"], digits=2).set_uuid("t")
    html = html.to_html()
    bold = html.split("{")[0]
    assert "#T_t_row1_col0" in bold and "#T_t_row1_col1" in bold
    assert "#T_t_row0_col0" not in bold and "0.10" in html and 'class="dataframe"' in html


def test_table_options_show_long_cells_whole():
    import pandas as pd

    long = "the reading that the prunability chapter (section 6) predicts, run in full"
    table = report.frame({"row": {"what would settle it": long}}, "question")
    for option in report.DISPLAY_OPTIONS:       # pandas' defaults, whatever ran before
        pd.reset_option(option)
    try:
        assert long not in table._repr_html_()            # pandas cuts it at 50 characters
        report.use_table_options()
        assert long in table._repr_html_()
        wide = pd.DataFrame([range(30)] * 80)
        assert "..." not in wide._repr_html_()            # no elided rows or columns either
    finally:
        for option in report.DISPLAY_OPTIONS:
            pd.reset_option(option)


def test_e_to_writes_the_exponent_as_superscript():
    assert [report.e_to(k) for k in (0, -1, -2, -6, 1, -8.0)] == [
        "e⁰", "e⁻¹", "e⁻²", "e⁻⁶", "e¹", "e⁻⁸"]
    assert report.superscript("-12.5") == "⁻¹²·⁵"
    with pytest.raises(ValueError, match="integer exponent"):
        report.e_to(-0.5)


def test_accuracy_at_names_what_a_sweep_measured():
    result = {"config": {"model": {"kind": "mlp"}},
              "prune": {"l1": {"amounts": [0.0, 0.9], "accuracy": [0.98, 0.91],
                               "accuracy_mc": [0.98, 0.91]}}}
    assert report.accuracy_at(result, 0.9) == 0.91
    with pytest.raises(ValueError, match=r"0.93 is not a fraction .* allowed: 0, 0.9$"):
        report.accuracy_at(result, 0.93)
    with pytest.raises(ValueError, match=r"no 'snr' sweep in this result; it has: l1$"):
        report.accuracy_at(result, 0.9, "snr")
