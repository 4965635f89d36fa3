"""MNIST and Fashion-MNIST as in-memory tensors.

The study reads the datasets through torchvision with ``ToTensor()`` only: pixels scaled to
[0, 1], no normalisation, no augmentation.  We read the same files through torchvision once and
keep them as one float tensor per split, so that a minibatch is a single indexing operation
instead of 100 PIL conversions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

#: Environment variable naming the folder that holds ``MNIST/raw`` and ``FashionMNIST/raw``.
DATA_ENV = "BNNTUT_DATA"

#: Dataset names accepted by :func:`load`, mapped to torchvision class names.
DATASETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}

#: The four IDX files torchvision reads from ``<root>/<Class>/raw/``.
RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: Class names of each dataset, for plots.
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion-mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}


@dataclass(frozen=True)
class Dataset:
    """A classification dataset held as tensors.

    Attributes
    ----------
    name : str
        ``"mnist"`` or ``"fashion-mnist"``.
    x_train : torch.Tensor
        Training images, shape ``(n_train, 784)``, float32 in [0, 1].
    y_train : torch.Tensor
        Training labels, shape ``(n_train,)``, int64 in 0..9.
    x_test : torch.Tensor
        Test images, shape ``(n_test, 784)``, float32 in [0, 1].
    y_test : torch.Tensor
        Test labels, shape ``(n_test,)``, int64.
    x_val, y_val : torch.Tensor or None
        Validation images ``(n_val, 784)`` and labels ``(n_val,)``, held out of the training
        set (``None`` unless :func:`load` was asked for them).
    """

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
    """Folder that holds the datasets.

    Parameters
    ----------
    root : path-like, optional
        Explicit folder.  When omitted, ``$BNNTUT_DATA`` is used, else the user cache folder
        (``$XDG_CACHE_HOME/bnntut`` or ``~/.cache/bnntut``).
    """
    if root is not None:
        return Path(root)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "bnntut"


#: Images per split, as the official files hold them (both datasets).
SPLIT_SIZES = {"train": 60000, "t10k": 10000}

#: IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
IDX_MAGIC = {"images-idx3-ubyte": 0x00000803, "labels-idx1-ubyte": 0x00000801}


def check_raw_files(name: str, root: str | os.PathLike | None = None) -> None:
    """Check the four IDX files of a dataset, if present, before they are read.

    Each file must have the IDX magic number of its kind, 28 × 28 images, the official count
    (60 000 train, 10 000 test: swapped files are caught here) and exactly the bytes its
    header announces (a truncated download is caught here).  Missing files are left to the
    loader (which downloads them when it can).

    Raises
    ------
    ValueError
        Naming the file, what is wrong and how to fix it.
    """
    import struct

    folder = data_root(root) / DATASETS[check_name(name)] / "raw"
    for file in RAW_FILES:
        path = folder / file
        if not path.exists():
            continue
        split, kind = file.split("-", 1)
        fix = (f"replace it with the official {DATASETS[name]} file {file} "
               f"(or delete it to download it again)")
        size = path.stat().st_size
        header = path.read_bytes()[:16] if size >= 16 else b""
        dims = 3 if kind.startswith("images") else 1
        if len(header) < 4 + 4 * dims:
            raise ValueError(f"{path} is too short to be an IDX file ({size} bytes); {fix}")
        magic, *shape = struct.unpack(f">I{dims}I", header[:4 + 4 * dims])
        if magic != IDX_MAGIC[kind]:
            raise ValueError(f"{path} is not an IDX {kind.split('-')[0]} file (magic number "
                             f"{magic:#010x}, expected {IDX_MAGIC[kind]:#010x}); {fix}")
        if dims == 3 and shape[1:] != [28, 28]:
            raise ValueError(f"{path} holds {shape[1]} x {shape[2]} images, not 28 x 28; {fix}")
        if shape[0] != SPLIT_SIZES[split]:
            other = "t10k" if split == "train" else "train"
            raise ValueError(f"{path} holds {shape[0]} {kind.split('-')[0]}, the {split} file "
                             f"must hold {SPLIT_SIZES[split]} (are the {split} and {other} files "
                             f"swapped?); {fix}")
        expected = 4 + 4 * dims + shape[0] * (784 if dims == 3 else 1)
        if size != expected:
            raise ValueError(f"{path} has {size} bytes, its header announces {expected} "
                             f"(truncated or padded); {fix}")


def _torchvision_split(name: str, root: Path, train: bool):
    from torchvision import datasets

    cls = getattr(datasets, DATASETS[name])
    try:
        return cls(str(root), train=train, download=False)
    except RuntimeError:
        pass
    try:
        return cls(str(root), train=train, download=True)
    except Exception as error:  # noqa: BLE001 - any download failure gets the same advice
        folder = root / DATASETS[name] / "raw"
        raise FileNotFoundError(
            f"{name} is not in {folder} and could not be downloaded ({error}). "
            f"Put the four files {', '.join(RAW_FILES)} into {folder}, or set "
            f"{DATA_ENV} to a folder that holds {DATASETS[name]}/raw/ with them."
        ) from error


def _as_tensors(split, pixel_divisor: float = 255.0) -> tuple[torch.Tensor, torch.Tensor]:
    # (n, 28, 28) uint8 -> (n, 784) float32; with 255, exactly what ToTensor() computes.
    x = split.data.reshape(len(split.data), -1).to(torch.float32).div_(pixel_divisor)
    y = split.targets.to(torch.int64)
    return x, y


def stratified_indices(labels: torch.Tensor, n: int, seed: int = 0) -> torch.Tensor:
    """Seeded subset of ``n`` indices whose class proportions follow ``labels``.

    Parameters
    ----------
    labels : torch.Tensor
        Shape ``(N,)``, int64 class labels.
    n : int
        Subset size, ``1 <= n <= N``.
    seed : int
        Seed of the permutation that picks the members of each class.

    Returns
    -------
    torch.Tensor
        Shape ``(n,)``, sorted int64 indices into ``labels``.
    """
    total = len(labels)
    if not 1 <= n <= total:
        raise ValueError(f"subset size must be between 1 and {total}, got {n}")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(total, generator=generator)
    classes, counts = torch.unique(labels, return_counts=True)
    exact = counts.double() * n / total
    quota = exact.floor().long()
    # Largest remainder: hand the leftover places to the classes that lost most to rounding.
    leftover = n - int(quota.sum())
    quota[torch.argsort(exact - quota, descending=True)[:leftover]] += 1
    shuffled = labels[order]
    chosen = [order[shuffled == c][: int(q)] for c, q in zip(classes, quota)]
    return torch.sort(torch.cat(chosen)).values


def load(
    name: str,
    root: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
    subset: tuple[int, int] | None = None,
    seed: int = 0,
    pixel_divisor: float = 255.0,
    validation: bool = False,
) -> Dataset:
    """Load MNIST or Fashion-MNIST as in-memory tensors.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
        Which dataset.
    root : path-like, optional
        Data folder; see :func:`data_root`.
    device : str or torch.device
        Where the tensors live (``"cuda"`` keeps the whole dataset on the GPU).
    subset : (int, int), optional
        ``(n_train, n_test)``: a stratified, seeded subset for quick runs.
    seed : int
        Seed of the subset selection.
    pixel_divisor : float
        Pixels (0..255) are divided by this: 255 gives [0, 1] as ``ToTensor()`` (the study);
        Blundell et al. divided by 126.
    validation : bool
        Hold out the training images that ``subset`` leaves out as a validation set
        (``x_val``, ``y_val``): with ``subset=(50000, 10000)``, Blundell et al.'s split of
        the 60 000 training images into 50 000 for training and 10 000 for validation.
        Needs ``subset``.

    Returns
    -------
    Dataset
        ``x_*`` of shape ``(n, 784)`` float32 in [0, 255 / pixel_divisor] and ``y_*`` of
        shape ``(n,)`` int64.

    Raises
    ------
    ValueError
        For an unknown name or a bad subset, or IDX files that are not the official ones
        (:func:`check_raw_files`).
    FileNotFoundError
        When the files are missing and cannot be downloaded; the message names
        ``BNNTUT_DATA`` and the expected files.
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
            held_out = torch.ones(len(y_train), dtype=torch.bool)
            held_out[train_idx] = False
            if not held_out.any():
                raise ValueError(f"subset {subset!r} keeps every training image: nothing is "
                                 "left for validation; lower n_train")
            x_val, y_val = x_train[held_out], y_train[held_out]
        x_train, y_train = x_train[train_idx], y_train[train_idx]
        x_test, y_test = x_test[test_idx], y_test[test_idx]
    return Dataset(name, x_train, y_train, x_test, y_test, x_val, y_val).to(device)
