"""Data sets: scikit-learn digits, MNIST files (IDX, Kaggle CSV), own tables, splits."""

import gzip
import struct

import numpy as np
import pytest

import gone
from gone import datasets


def test_load_digits():
    x, y = datasets.load_digits()
    assert x.shape == (1797, 64) and y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0 and set(np.unique(y)) == set(range(10))
    images, y2 = datasets.load_digits(images=True)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), x)
    np.testing.assert_array_equal(y, y2)


def test_one_hot():
    np.testing.assert_array_equal(datasets.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(gone.ShapeError):
        datasets.one_hot(np.array([3]), 3)
    with pytest.raises(gone.ShapeError):
        datasets.one_hot(np.array([0.5]), 3)


def test_split_is_seeded_and_complete():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    a = datasets.split(x, y, seed=1)
    b = datasets.split(x, y, seed=1)
    assert [len(p) for p in a] == [8, 8, 2, 2]
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(datasets.split(x, y, seed=2)[1], a[1])
    parts = datasets.split(x, y, (0.7, 0.15, 0.15), seed=0)
    assert [len(p) for p in parts[1::2]] == [7, 1, 2]  # cuts at round(7.0), round(8.5)
    assert sorted(np.concatenate(parts[1::2]).tolist()) == list(range(10))
    np.testing.assert_array_equal(parts[0][:, 0] // 2, parts[1])  # rows stay with their labels
    with pytest.raises(gone.ConfigError):
        datasets.split(x, y, (0.5, 0.6))
    with pytest.raises(gone.ShapeError):
        datasets.split(x, y[:3])


# --- IDX ---------------------------------------------------------------------------

def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    return struct.pack(">HBB", 0, code, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape) + array.astype(">u1").tobytes()


def write_idx(folder, n=5, gz=False, prefix="train"):
    rng = np.random.default_rng(len(prefix))  # train and t10k files hold different images
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    for name, arr in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
        data = idx_bytes(arr)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_idx(tmp_path, gz):
    images, labels = write_idx(tmp_path, gz=gz)
    test_images, test_labels = write_idx(tmp_path, n=3, gz=gz, prefix="t10k")
    data = datasets.load_mnist(tmp_path)
    assert data["format"] == "idx"
    assert data["x_train"].shape == (5, 1, 28, 28)
    np.testing.assert_allclose(data["x_train"][:, 0] * 255, images)
    np.testing.assert_array_equal(data["y_train"], labels)
    # the test images are the t10k file's, not a copy of the training ones
    assert data["x_test"].shape == (3, 1, 28, 28) and data["x_test"].dtype == np.float64
    np.testing.assert_allclose(data["x_test"][:, 0] * 255, test_images)
    assert not np.allclose(data["x_test"][:, 0] * 255, images[:3])
    np.testing.assert_array_equal(data["y_test"], test_labels)


@pytest.mark.parametrize("data, match", [
    (b"\x00\x00", "truncated at offset 2"),
    (b"\x01\x02\x08\x03" + b"\x00" * 20, "bad magic number 0x01020803 at offset 0"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", "truncated at offset 8: header"),
    (struct.pack(">HBBIII", 0, 8, 3, 2, 28, 28) + bytes(100),
     r"truncated: dimensions \(2, 28, 28\) need 1568 data bytes from offset 16"),
    (struct.pack(">HBBI", 0, 8, 1, 2) + bytes(3), "trailing bytes"),
])
def test_malformed_idx(tmp_path, data, match):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(gone.DatasetError, match=match) as info:
        datasets.read_idx(path)
    assert str(path) in str(info.value)


def test_malformed_gzip_and_mismatched_files(tmp_path):
    (tmp_path / "x.gz").write_bytes(b"not gzip")
    with pytest.raises(gone.DatasetError, match="x.gz: cannot read"):
        datasets.read_idx(tmp_path / "x.gz")
    write_idx(tmp_path, n=4)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(gone.DatasetError, match="expected 4 labels"):
        datasets.load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(4, 12, np.uint8)))
    with pytest.raises(gone.DatasetError, match="label 12 at offset 8"):
        datasets.load_mnist(tmp_path)


def test_load_mnist_finds_nothing(tmp_path):
    with pytest.raises(gone.DatasetError, match="found neither"):
        datasets.load_mnist(tmp_path)
    with pytest.raises(gone.DatasetError, match="not a directory"):
        datasets.load_mnist(tmp_path / "missing")


# --- Kaggle CSV ------------------------------------------------------------------------

def kaggle_csv(rows, labels=True):
    head = (["label"] if labels else []) + [f"pixel{i}" for i in range(784)]
    return "\n".join([",".join(head)] + [",".join(map(str, r)) for r in rows]) + "\n"


def test_load_mnist_kaggle(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(4, 784))
    labels = np.array([3, 1, 4, 1])
    (tmp_path / "train.csv").write_text(kaggle_csv(np.column_stack([labels, pixels])))
    (tmp_path / "test.csv").write_text(kaggle_csv(pixels[:2], labels=False))
    data = datasets.load_mnist(tmp_path)
    assert data["format"] == "kaggle" and data["x_train"].shape == (4, 1, 28, 28)
    np.testing.assert_array_equal(data["y_train"], labels)
    np.testing.assert_allclose(data["x_train"].reshape(4, -1) * 255, pixels)
    assert data["x_test"].shape == (2, 1, 28, 28) and data["y_test"] is None


@pytest.mark.parametrize("text, match", [
    ("", "empty file"),
    ("label,a,b\n1,2,3\n", "line 1: expected 785 columns"),
    (kaggle_csv([[1] + [0] * 784]) + "2,0,0\n", "line 3: expected 785 columns, got 3"),
    (kaggle_csv([[1] + [0] * 784, [2] + [0] * 783 + ["x7"]]), "line 3: 'x7' is not a number"),
    (kaggle_csv([[11] + [0] * 784]), "line 2: label 11 is not a digit"),
])
def test_malformed_kaggle_csv(tmp_path, text, match):
    path = tmp_path / "train.csv"
    path.write_text(text)
    with pytest.raises(gone.DatasetError, match=match) as info:
        datasets.load_kaggle_csv(path)
    assert str(path) in str(info.value)


def test_write_submission(tmp_path):
    datasets.write_submission(tmp_path / "sub.csv", np.array([7, 2, 1]))
    assert (tmp_path / "sub.csv").read_text() == "ImageId,Label\n1,7\n2,2\n3,1\n"
    with pytest.raises(gone.DatasetError):
        datasets.write_submission(tmp_path / "sub.csv", np.array([0.5]))


# --- own tables ----------------------------------------------------------------------------

def test_load_table_csv_with_header_and_name(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,kind\n1,2,0\n3,4.5,1\n")
    x, y = datasets.load_table(tmp_path / "t.csv", target="kind")
    np.testing.assert_array_equal(x, [[1, 2], [3, 4.5]])
    assert y.tolist() == [0, 1] and y.dtype == np.int64
    x, y = datasets.load_table(tmp_path / "t.csv", target=0)
    assert x.shape == (2, 2) and y.tolist() == [1, 3]


def test_load_table_tsv_without_header_and_float_target(tmp_path):
    (tmp_path / "t.tsv").write_text("1\t2\t0.5\n3\t4\t1.5\n")
    x, y = datasets.load_table(tmp_path / "t.tsv")
    np.testing.assert_array_equal(x, [[1, 2], [3, 4]])
    assert y.dtype == np.float64 and y.tolist() == [0.5, 1.5]


def test_load_table_numpy(tmp_path):
    table = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "t.npy", table)
    x, y = datasets.load_table(tmp_path / "t.npy", target=1)
    np.testing.assert_array_equal(x, table[:, [0, 2]])
    np.savez(tmp_path / "xy.npz", x=table, y=np.array([0, 1, 0, 1]))
    x, y = datasets.load_table(tmp_path / "xy.npz")
    np.testing.assert_array_equal(x, table)
    assert y.tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize("name, content, kwargs, match", [
    ("t.csv", "a,b\n1,2\n3\n", {}, "line 3: expected 2 columns, got 1"),
    ("t.csv", "a,b\n1,2\n3,oops\n", {}, r"line 3, column 2 \('b'\): 'oops' is not a number"),
    ("t.csv", "a,b\n1,2\n", {"target": "c"}, "no column named 'c'; columns: a, b"),
    ("t.csv", "1,2\n", {"target": 5}, "out of range"),
    ("t.csv", "", {}, "no data"),
    ("t.npy", b"garbage", {}, "not a readable .npy"),
    ("t.npz", b"garbage", {}, "not a readable .npz"),
])
def test_load_table_errors(tmp_path, name, content, kwargs, match):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(gone.DatasetError, match=match) as info:
        datasets.load_table(path, **kwargs)
    assert str(path) in str(info.value)


# --- NaN and infinity are refused where they are read ------------------------------------

@pytest.mark.parametrize("cell", ["nan", "inf", "-Infinity", "1e999"])
def test_table_csv_refuses_non_finite_cells_by_line_and_column(tmp_path, cell):
    path = tmp_path / "t.csv"
    path.write_text(f"a,b,y\n1,2,0\n3,{cell},1\n")
    with pytest.raises(gone.DatasetError, match=rf"t.csv: line 3, column 2 \('b'\): "
                       rf"'{cell}' is not a finite number"):
        datasets.load_table(path)


def test_table_npy_and_npz_refuse_non_finite_cells(tmp_path):
    table = np.ones((3, 4))
    table[2, 1] = np.inf
    np.save(tmp_path / "t.npy", table)
    with pytest.raises(gone.DatasetError, match="t.npy: the table: row 2, column 1: inf"):
        datasets.load_table(tmp_path / "t.npy")
    np.savez(tmp_path / "t.npz", x=np.ones((2, 2)), y=np.array([0.5, np.nan]))
    with pytest.raises(gone.DatasetError, match="t.npz: y: row 1: nan is not a finite"):
        datasets.load_table(tmp_path / "t.npz")


def test_npy_declaring_more_than_it_holds_is_refused_before_allocating(tmp_path):
    path = tmp_path / "t.npy"
    np.save(path, np.ones((2, 2)))
    data = path.read_bytes().replace(b"(2, 2)", b"(2000000000, 2)".ljust(6))
    path.write_bytes(data)
    with pytest.raises(gone.DatasetError, match="t.npy"):
        datasets.load_table(path)


def test_kaggle_csv_refuses_nan_pixels_by_line_and_column(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(kaggle_csv([[1] + [0] * 784, [2] + [0] * 9 + ["nan"] + [0] * 774]))
    with pytest.raises(gone.DatasetError, match="train.csv: line 3, column 11: nan is not a finite"):
        datasets.load_kaggle_csv(path)


def test_float_idx_refuses_nan_by_offset(tmp_path):
    values = np.array([[1.0, 2.0], [np.nan, 4.0]])
    path = tmp_path / "f-idx"
    path.write_bytes(struct.pack(">HBBII", 0, 0x0D, 2, 2, 2) + values.astype(">f4").tobytes())
    with pytest.raises(gone.DatasetError, match=r"value nan at offset 20 \(element \(1, 0\)\)"):
        datasets.read_idx(path)


def test_idx_labels_must_be_digits(tmp_path):
    write_idx(tmp_path, n=2)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(
        struct.pack(">HBBI", 0, 0x09, 1, 2) + np.array([3, -1], ">i1").tobytes())
    with pytest.raises(gone.DatasetError, match="label -1 at offset 9 is not a digit"):
        datasets.load_mnist(tmp_path)
