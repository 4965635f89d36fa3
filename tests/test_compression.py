"""CSR byte counts, sparse forward passes and the stored compression result (seconds)."""

import json

import pytest
import torch
import torch.nn.functional as F

from bnntut import cli, compression, models, prune


def _sparse_matrix(rows, cols, zeros, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(rows, cols, generator=g)
    w.view(-1)[torch.randperm(rows * cols, generator=g)[:zeros]] = 0.0
    return w


def test_csr_byte_formula_matches_the_arrays():
    assert compression.csr_bytes(3, 4, 5) == 4 * 5 + 4 * 5 + 4 * 4
    assert compression.dense_bytes(3, 4) == 48
    for rows, cols, zeros in ((3, 4, 7), (50, 784, 30000), (10, 5, 50), (7, 9, 0)):
        w = _sparse_matrix(rows, cols, zeros)
        csr = compression.to_csr(w)
        assert csr.crow_indices().dtype == csr.col_indices().dtype == torch.int32
        nnz = rows * cols - zeros
        assert compression.stored_bytes(csr) == compression.csr_bytes(rows, cols, nnz)


def test_break_even_sparsity_is_where_csr_and_dense_bytes_meet():
    shapes = [(500, 784), (500, 500), (10, 500)]
    s = compression.csr_break_even_sparsity(shapes)
    n = sum(r * c for r, c in shapes)
    nnz = (1 - s) * n
    csr = 8 * nnz + 4 * sum(r + 1 for r, _ in shapes)
    assert csr == pytest.approx(4 * n)
    assert 0.5 < s < 0.51                                    # a little above one half


def test_csr_matmul_equals_dense():
    layers = compression.random_layers(0.9, widths=(784, 40, 30, 10), seed=3)
    x = torch.rand(17, 784)
    w, b = layers[0]
    assert torch.allclose(torch.addmm(b[:, None], compression.to_csr(w), x.t()).t(),
                          F.linear(x, w, b), atol=1e-5)
    sparse = [(compression.to_csr(w), b) for w, b in layers]
    assert torch.allclose(compression.sparse_forward(sparse, x),
                          compression.dense_forward(layers, x), atol=1e-5)
    zeros = sum(int((w == 0).sum()) for w, _ in layers)
    assert zeros == sum(round(0.9 * w.numel()) for w, _ in layers)


def test_bbb_bytes_after_pruning(bnn):
    pruned = prune.snr(bnn, 0.9)
    sizes = compression.model_bytes(pruned)
    shapes = [(32, 784), (16, 32), (10, 16)]
    n_weights = sum(r * c for r, c in shapes)
    n_bias = 32 + 16 + 10
    assert sizes["n_weights"] == n_weights
    assert sizes["dense_bytes"] == 4 * (n_weights + n_bias)
    assert sizes["training_bytes"] == 2 * 4 * (n_weights + n_bias)    # μ and ρ
    nnz = sum(int((layer.weight_sampler.mu != 0).sum()) for layer in pruned.layers)
    assert sizes["nnz"] == nnz
    assert sizes["csr_bytes"] == 8 * nnz + 4 * sum(r + 1 for r, _ in shapes) + 4 * n_bias
    assert sizes["csr_bytes"] < sizes["dense_bytes"] / 4
    assert "training_bytes" not in compression.model_bytes(prune.l1(models.mlp(hidden=(32, 16)),
                                                                    0.9))


def test_latency_and_where_sparse_pays():
    layers = compression.random_layers(0.95, widths=(784, 40, 10))
    rows = compression.latency(layers, (1, 5), "cpu", min_time=0.001)
    assert [r["batch_size"] for r in rows] == [1, 5]
    assert all(r["dense_s"] > 0 and r["sparse_s"] > 0 and r["max_abs_diff"] < 1e-4 for r in rows)
    assert rows[0]["speedup"] == pytest.approx(rows[0]["dense_s"] / rows[0]["sparse_s"])
    assert compression.pays_from([0.5, 0.9, 0.99], [0.5, 1.2, 2.0]) == 0.9
    assert compression.pays_from([0.5, 0.9, 0.99], [2.0, 0.5, 1.5]) == 0.99
    assert compression.pays_from([0.5, 0.9, 0.99], [2.0, 1.5, 0.9]) is None


def test_bad_inputs_raise_and_name_what_is_allowed():
    with pytest.raises(ValueError, match="nnz must be a non-negative integer"):
        compression.csr_bytes(3, 4, -1)
    with pytest.raises(ValueError, match="at most rows"):
        compression.csr_bytes(3, 4, 13)
    with pytest.raises(ValueError, match="2-D"):
        compression.to_csr(torch.ones(3))
    with pytest.raises(ValueError, match="positive integers"):
        compression.latency(compression.random_layers(0.5, (8, 4)), (0,), min_time=0.001)
    with pytest.raises(ValueError, match=r"fraction in \[0, 1\]"):
        compression.random_layers(1.5)
    with pytest.raises(ValueError, match="allowed: paper, quick"):
        compression.run("huge")
    with pytest.raises(ValueError, match="allowed: auto, cpu, cuda"):
        compression.run("quick", device="tpu")


@pytest.fixture
def results(tmp_path, tiny_preset, monkeypatch):
    tiny_preset.change(datasets=["mnist"],
                       methods={m: tiny_preset.spec.methods[m] for m in ("sgd", "bbb")})
    monkeypatch.setattr(compression, "AMOUNTS", (0.0, 0.9))
    return tmp_path / "results"


def test_run_is_stored_reused_and_recomputed_when_stale(results, monkeypatch, capsys,
                                                       retrain_in_place):
    result = compression.run("tiny", results=results, progress=False)
    stored = json.loads((results / "tiny" / "compression-cpu.json").read_text())
    assert stored == result
    bbb = stored["bytes"]["mnist"]["bbb"]
    assert bbb["weights_file_bytes"] > 0
    assert [r["csr_bytes"] < r["dense_bytes"] for r in bbb["by_amount"]] == [False, True]
    assert set(stored["latency"]["batches"]) == {"1", "100"}
    assert all(v >= 1 for v in stored["latency"]["dense_spread"].values())
    assert stored["metadata"]["threads"] >= 1
    sweep = compression.latency_sweep
    monkeypatch.setattr(compression, "latency_sweep", lambda *a, **k: pytest.fail("remeasured"))
    assert compression.run("tiny", results=results, progress=False) == result
    monkeypatch.setattr(compression, "latency_sweep", sweep)
    retrain_in_place(results, "sgd")
    with pytest.warns(compression.StaleCompressionWarning,
                      match="other trained weights of mnist/sgd"):
        again = compression.run("tiny", results=results, progress=False)
    assert again["inputs"] != result["inputs"]
    assert cli.main(["compression", "--preset", "tiny", "--out", str(results)]) == 0  # reused
    assert "sparse pays from" in capsys.readouterr().out
