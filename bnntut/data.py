"""MNIST and Fashion-MNIST as in-memory tensors, read through torchvision as the study does
(``ToTensor()`` only: pixels in [0, 1], no normalisation or augmentation) but once, as one
float tensor per split, so a minibatch is one indexing operation instead of 100 PIL conversions."""

from __future__ import annotations

import contextlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import torch

from .switches import env_value

DATA_ENV = "BNNTUT_DATA"  #: names the folder that holds ``MNIST/raw`` and ``FashionMNIST/raw``
#: Dataset names accepted by :func:`load`, mapped to torchvision class names.
DATASETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
#: The four IDX files torchvision reads from ``<root>/<Class>/raw/``.
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
SPLIT_SIZES = {"train": 60000, "t10k": 10000}  #: images per split in the official files (both sets)
#: IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
IDX_MAGIC = {"images-idx3-ubyte": 0x00000803, "labels-idx1-ubyte": 0x00000801}


@dataclass(frozen=True)
class Dataset:
    """Dataset ``name`` (``"mnist"`` or ``"fashion-mnist"``) as images ``x_*`` ``(n, 784)``
    float32 in [0, 1] and labels ``y_*`` ``(n,)`` int64; ``x_val``, ``y_val`` are held out of the
    training set by ``load(validation=True)``, else ``None``."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None

    def to(self, device: str | torch.device) -> Dataset:
        """Return a copy with all tensors on ``device``."""
        return Dataset(self.name, *(None if t is None else t.to(device) for t in (
            self.x_train, self.y_train, self.x_test, self.y_test, self.x_val, self.y_val)))


def check_name(name: str) -> str:
    """Return ``name`` if it is a known dataset, else raise ``ValueError`` listing them."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}")
    return name


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Folder that holds the datasets: ``root`` if given, else ``$BNNTUT_DATA``, else the user
    cache folder (``$XDG_CACHE_HOME/bnntut`` or ``~/.cache/bnntut``)."""
    if root is None:
        root = (env_value(DATA_ENV)
                or Path(env_value("XDG_CACHE_HOME") or Path.home() / ".cache") / "bnntut")
    return Path(root)


def check_raw_files(name: str, root: str | os.PathLike | None = None) -> None:
    """Check the dataset's IDX files that exist (the loader downloads missing ones) for their
    kind's magic number, 28 × 28 images, the official count (catches swapped files) and the
    bytes the header announces (catches truncated downloads); ``ValueError`` says how to fix."""
    folder = data_root(root) / DATASETS[check_name(name)] / "raw"
    for path in filter(Path.exists, (folder / file for file in RAW_FILES)):
        split, kind = path.name.split("-", 1)
        what, size = kind.split("-")[0], path.stat().st_size   # what: "images" or "labels"
        dims = 3 if what == "images" else 1
        fix = (f"replace it with the official {DATASETS[name]} file {path.name} "
               f"(or delete it to download it again)")
        if size < 16:
            raise ValueError(f"{path} is too short to be an IDX file ({size} bytes); {fix}")
        magic, *shape = struct.unpack_from(f">I{dims}I", path.read_bytes())
        if magic != IDX_MAGIC[kind]:
            raise ValueError(f"{path} is not an IDX {what} file (magic number "
                             f"{magic:#010x}, expected {IDX_MAGIC[kind]:#010x}); {fix}")
        if dims == 3 and shape[1:] != [28, 28]:
            raise ValueError(f"{path} holds {shape[1]} x {shape[2]} images, not 28 x 28; {fix}")
        if shape[0] != SPLIT_SIZES[split]:
            raise ValueError(f"{path} holds {shape[0]} {what}, the {split} file must hold "
                             f"{SPLIT_SIZES[split]} (are the {split} and "
                             f"{'t10k' if split == 'train' else 'train'} files swapped?); {fix}")
        expected = 4 + 4 * dims + shape[0] * (784 if dims == 3 else 1)
        if size != expected:
            raise ValueError(f"{path} has {size} bytes, its header announces {expected} "
                             f"(truncated or padded); {fix}")


def _torchvision_split(name: str, root: Path, train: bool):
    """One split as a torchvision dataset, downloaded when missing."""
    from torchvision import datasets
    cls = getattr(datasets, DATASETS[name])
    with contextlib.suppress(RuntimeError):   # not there yet: download it
        return cls(str(root), train=train, download=False)
    try:
        return cls(str(root), train=train, download=True)
    except Exception as error:  # noqa: BLE001 - any download failure gets the same advice
        folder = root / DATASETS[name] / "raw"
        raise FileNotFoundError(
            f"{name} is not in {folder} and could not be downloaded ({error}). "
            f"Put the four files {', '.join(RAW_FILES)} into {folder}, or set "
            f"{DATA_ENV} to a folder that holds {DATASETS[name]}/raw/ with them.") from error


def _as_tensors(split, pixel_divisor: float = 255.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(n, 784)`` float32 (with 255, exactly what ``ToTensor()`` gives) and labels."""
    x = split.data.reshape(len(split.data), -1).to(torch.float32).div_(pixel_divisor)
    return x, split.targets.to(torch.int64)


def stratified_indices(labels: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """Sorted indices ``(n,)`` of a seeded subset of ``labels`` with their class proportions."""
    total = len(labels)
    if not 1 <= n <= total:
        raise ValueError(f"subset size must be between 1 and {total}, got {n}")
    order = torch.randperm(total, generator=torch.Generator().manual_seed(seed))
    classes, counts = torch.unique(labels, return_counts=True)
    exact = counts.double() * n / total
    quota = exact.floor().long()
    # Largest remainder: hand the n − Σ quota places left to the classes that lost most to rounding.
    quota[torch.argsort(exact - quota, descending=True)[:n - int(quota.sum())]] += 1
    shuffled = labels[order]
    chosen = [order[shuffled == c][: int(q)] for c, q in zip(classes, quota)]
    return torch.sort(torch.cat(chosen)).values


def load(name: str, root: str | os.PathLike | None = None, device: str | torch.device = "cpu",
         subset: tuple[int, int] | None = None, seed: int = 0, pixel_divisor: float = 255.0,
         validation: bool = False) -> Dataset:
    """Load MNIST or Fashion-MNIST from ``root`` (see :func:`data_root`) onto ``device``.

    Parameters
    ----------
    subset : (int, int), optional
        ``(n_train, n_test)``: a stratified subset (:func:`stratified_indices` with ``seed``).
    pixel_divisor : float
        Pixels (0..255) are divided by this: 255 gives [0, 1] as ``ToTensor()`` (the study);
        Blundell et al. divided by 126.
    validation : bool
        Hold out the training images ``subset`` leaves out as ``x_val``, ``y_val``: with
        ``subset=(50000, 10000)``, Blundell et al.'s 50 000 / 10 000 split of the training set.

    Raises
    ------
    ValueError
        For an unknown name, a bad subset or IDX files that are not the official ones.
    FileNotFoundError
        When files are missing and cannot be downloaded (the message names ``BNNTUT_DATA``).
    """
    check_name(name)
    if validation and subset is None:
        raise ValueError("validation=True holds out the training images a subset leaves out; "
                         "pass subset=(n_train, n_test) with n_train below the training size")
    if not pixel_divisor > 0:
        raise ValueError(f"pixel_divisor must be > 0, got {pixel_divisor!r}")
    folder = data_root(root)
    check_raw_files(name, folder)
    x_train, y_train = _as_tensors(_torchvision_split(name, folder, train=True), pixel_divisor)
    x_test, y_test = _as_tensors(_torchvision_split(name, folder, train=False), pixel_divisor)
    x_val = y_val = None
    if subset is not None:
        if len(subset) != 2:
            raise ValueError(f"subset must be (n_train, n_test), got {subset!r}")
        train_idx = stratified_indices(y_train, subset[0], seed)
        test_idx = stratified_indices(y_test, subset[1], seed)
        if validation:
            held_out = torch.ones(len(y_train), dtype=torch.bool).index_fill_(0, train_idx, False)
            if not held_out.any():
                raise ValueError(f"subset {subset!r} keeps every training image: nothing is "
                                 "left for validation; lower n_train")
            x_val, y_val = x_train[held_out], y_train[held_out]
        x_train, y_train = x_train[train_idx], y_train[train_idx]
        x_test, y_test = x_test[test_idx], y_test[test_idx]
    return Dataset(name, x_train, y_train, x_test, y_test, x_val, y_val).to(device)
