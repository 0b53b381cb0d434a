"""NumPy arrays and Python values to and from pyarrow through its buffers (analysis.arrow)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from elicit.analysis.arrow import from_numpy, scalar, strings, to_numpy

NUMBER_TYPES = [
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint16(),
    pa.uint32(),
    pa.uint64(),
    pa.float16(),
    pa.float32(),
    pa.float64(),
]


@pytest.mark.parametrize("kind", [*NUMBER_TYPES, pa.bool_()], ids=str)
def test_every_type_reads_as_pyarrow_converts_it_slices_included(kind):
    values = pa.array(np.arange(23) % 7 == 3) if kind == pa.bool_() else pa.array(np.arange(23))
    array = values.cast(kind)
    for part in (array, array.slice(5), array.slice(3, 11), array.slice(9, 0)):
        got = to_numpy(part)
        assert got.dtype == part.to_numpy(zero_copy_only=False).dtype
        assert got.tolist() == part.to_pylist()


def test_chunks_are_joined_in_order_with_their_offsets():
    first = pa.array(np.arange(10, dtype=np.int32)).slice(2, 5)
    second = pa.array(np.arange(100, 104, dtype=np.int32)).slice(1)
    column = pa.chunked_array([first, pa.array(np.zeros(0, np.int32)), second])
    assert to_numpy(column).tolist() == [2, 3, 4, 5, 6, 101, 102, 103]
    flags = pa.chunked_array([pa.array([True, False, True]).slice(1), pa.array([True])])
    assert to_numpy(flags).tolist() == [False, True, True]
    assert to_numpy(pa.chunked_array([], type=pa.float64())).dtype == np.float64


def test_one_array_of_numbers_is_viewed_not_copied():
    array = pa.array(np.arange(6, dtype=np.float64))
    for data in (array, pa.chunked_array([array])):
        view = to_numpy(data)
        assert not view.flags.writeable
        assert view.ctypes.data == array.buffers()[1].address


def test_nulls_are_refused_unless_given_a_value():
    array = pa.array([1.5, None, 3.0, None]).slice(1)
    with pytest.raises(ValueError, match="2 null"):
        to_numpy(array)
    assert to_numpy(array, null=0).tolist() == [0.0, 3.0, 0.0]
    flags = pa.chunked_array([pa.array([True, None]), pa.array([None, False, True])])
    assert to_numpy(flags, null=False).tolist() == [True, False, False, False, True]
    assert to_numpy(pa.array([7, None], type=pa.int32()), null=-1).tolist() == [7, -1]


@pytest.mark.parametrize(
    "array",
    [
        pa.array(["a"]),
        pa.array(["a"]).dictionary_encode(),
        pa.array([[1]]),
        pa.array([1], type=pa.timestamp("s")),
    ],
    ids=["text", "dictionary", "list", "timestamp"],
)
def test_other_types_are_refused(array):
    with pytest.raises(TypeError, match="not an array of numbers or booleans"):
        to_numpy(array)


def test_numbers_and_booleans_become_arrow_arrays_nan_as_null_if_asked():
    values = np.array([0.5, np.nan, -2.0, np.inf])
    assert from_numpy(values).null_count == 0
    np.testing.assert_array_equal(from_numpy(values).to_numpy(), values)
    assert from_numpy(values, nan_is_null=True).to_pylist() == [0.5, None, -2.0, np.inf]
    assert from_numpy(values[::2]).to_pylist() == [0.5, -2.0]
    flags = np.arange(13) % 3 == 0
    assert from_numpy(flags).equals(pa.array(flags))
    counts = np.arange(5, dtype=np.uint16)
    assert from_numpy(counts, nan_is_null=True).equals(pa.array(counts))
    for array in (from_numpy(values, nan_is_null=True), from_numpy(flags)):
        array.validate(full=True)


@pytest.mark.parametrize("values", [np.array(["a"]), np.zeros((2, 2))], ids=["text", "2-d"])
def test_from_numpy_refuses_what_is_not_one_dimension_of_numbers(values):
    with pytest.raises(TypeError):
        from_numpy(values)


def test_texts_and_single_values_become_arrow_strings_and_scalars():
    texts = ["nato-2027", "", "Zürich 🙂", 'q"1,2']
    array = strings(texts)
    array.validate(full=True)
    assert array.type == pa.string() and array.to_pylist() == texts
    assert strings([]).to_pylist() == []
    assert pc.equal(array, scalar("")).to_pylist() == [False, True, False, False]
    kinds = {"p": pa.string(), True: pa.bool_(), 3: pa.int64(), 0.5: pa.float64()}
    for value, kind in kinds.items():
        assert scalar(value).type == kind and scalar(value).as_py() == value
    with pytest.raises(TypeError):
        scalar(None)
