import os
from pathlib import Path

import pytest
import torch

from bnntut import data

REAL = os.environ.get(data.DATA_ENV)


def test_unknown_name_lists_allowed():
    with pytest.raises(ValueError, match="mnist, fashion-mnist"):
        data.load("cifar10")


def test_missing_files_error_names_env_and_files(tmp_path, monkeypatch):
    from torchvision import datasets

    def no_download(self):
        raise RuntimeError("offline")

    monkeypatch.setattr(datasets.MNIST, "download", no_download)
    with pytest.raises(FileNotFoundError) as info:
        data.load("mnist", root=tmp_path)
    message = str(info.value)
    assert data.DATA_ENV in message
    for name in data.RAW_FILES:
        assert name in message


def test_root_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    assert data.data_root() == tmp_path
    assert data.data_root("/x") == Path("/x")
    monkeypatch.delenv(data.DATA_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert data.data_root() == tmp_path / "c" / "bnntut"


def test_stratified_indices_proportions_and_seed():
    labels = torch.tensor([0] * 600 + [1] * 300 + [2] * 100)
    idx = data.stratified_indices(labels, 100, seed=3)
    assert len(idx) == 100 and len(set(idx.tolist())) == 100
    assert torch.bincount(labels[idx]).tolist() == [60, 30, 10]
    assert torch.equal(idx, data.stratified_indices(labels, 100, seed=3))
    assert not torch.equal(idx, data.stratified_indices(labels, 100, seed=4))
    with pytest.raises(ValueError, match="between 1 and 1000"):
        data.stratified_indices(labels, 0)


@pytest.mark.skipif(not REAL, reason="needs the real datasets ($BNNTUT_DATA)")
@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_real_data_shapes(name):
    ds = data.load(name)
    assert ds.x_train.shape == (60000, 784) and ds.x_test.shape == (10000, 784)
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    if name == "mnist":
        assert ds.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    sub = data.load(name, subset=(1000, 500))
    assert sub.x_train.shape == (1000, 784) and len(sub.y_test) == 500
    assert torch.bincount(sub.y_train, minlength=10).min() >= 80


@pytest.mark.skipif(not REAL, reason="needs the real datasets ($BNNTUT_DATA)")
def test_pixel_divisor_scales_the_images():
    plain = data.load("mnist", subset=(100, 100))
    blundell = data.load("mnist", subset=(100, 100), pixel_divisor=126.0)
    torch.testing.assert_close(blundell.x_train, plain.x_train * (255.0 / 126.0))
    assert blundell.x_train.max() == pytest.approx(255 / 126)
    with pytest.raises(ValueError, match="pixel_divisor"):
        data.load("mnist", pixel_divisor=0)


@pytest.mark.skipif(not REAL, reason="needs the real datasets ($BNNTUT_DATA)")
def test_validation_holds_out_the_training_images_the_subset_leaves():
    full = data.load("mnist")
    split = data.load("mnist", subset=(50000, 10000), validation=True)
    assert len(split.y_train) == 50000 and len(split.y_val) == 10000
    assert len(split.y_test) == 10000
    torch.testing.assert_close(split.x_test, full.x_test)
    # Together, training and validation images are the 60 000 training images, each once.
    rows = torch.cat([split.x_train, split.x_val])
    joint = torch.cat([rows, full.x_train])
    assert len(torch.unique(joint, dim=0)) == len(torch.unique(full.x_train, dim=0))
    assert sorted(torch.cat([split.y_train, split.y_val]).tolist()) == \
        sorted(full.y_train.tolist())
    assert data.load("mnist", subset=(50000, 10000)).x_val is None
    with pytest.raises(ValueError, match="subset"):
        data.load("mnist", validation=True)
    with pytest.raises(ValueError, match="nothing is left"):
        data.load("mnist", subset=(60000, 100), validation=True)


def _write_idx(folder: Path, file: str, n: int, truncate: int = 0, magic: int | None = None):
    import struct

    images = "images" in file
    header = (struct.pack(">IIII", magic or 0x803, n, 28, 28) if images
              else struct.pack(">II", magic or 0x801, n))
    body = bytes(n * (784 if images else 1))
    (folder / file).write_bytes((header + body)[:len(header) + len(body) - truncate])


@pytest.fixture
def raw(tmp_path):
    folder = tmp_path / "MNIST" / "raw"
    folder.mkdir(parents=True)
    for file in data.RAW_FILES:
        _write_idx(folder, file, data.SPLIT_SIZES[file.split("-")[0]])
    return folder


def test_official_shapes_pass(raw):
    data.check_raw_files("mnist", raw.parents[1])


def test_truncated_idx_file_is_named(raw):
    _write_idx(raw, "t10k-images-idx3-ubyte", 10000, truncate=100)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte has .*truncated"):
        data.load("mnist", root=raw.parents[1])


def test_swapped_train_and_test_files_are_caught(raw):
    _write_idx(raw, "train-labels-idx1-ubyte", 10000)
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte holds 10000 .* swapped"):
        data.check_raw_files("mnist", raw.parents[1])


def test_wrong_magic_number_is_caught(raw):
    _write_idx(raw, "train-images-idx3-ubyte", 60000, magic=0x801)
    with pytest.raises(ValueError, match="not an IDX images file"):
        data.check_raw_files("mnist", raw.parents[1])


@pytest.mark.skipif(not REAL, reason=f"set {data.DATA_ENV} to the real data")
def test_real_files_pass_the_checks():
    for name in data.DATASETS:
        data.check_raw_files(name)
