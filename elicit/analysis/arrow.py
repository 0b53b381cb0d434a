"""NumPy arrays and Python values to and from pyarrow, through Arrow's buffers.

When pandas is installed, pyarrow imports it the first time it converts
between Arrow and Python or NumPy objects: ``np.asarray`` of an Arrow array,
``Array.to_numpy``, ``pa.array``, ``pa.scalar``, ``pa.repeat`` of a Python
value, or a Python value given to a :mod:`pyarrow.compute` function. That
costs an offline command about 0.2 s, though nothing here uses pandas. These
functions make the same arrays from the buffers instead (Arrow's layout:
values packed one after the other, booleans and validity one bit each, least
significant bit first), and building arrays from buffers, reading them and
computing on Arrow objects never imports pandas.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def to_numpy(data: pa.Array | pa.ChunkedArray, *, null: object = None) -> np.ndarray:
    """Return the values of an array of numbers or booleans as a NumPy array.

    Parameters
    ----------
    data : pyarrow.Array or pyarrow.ChunkedArray
        Integers, floats or booleans (for dictionary-encoded data, pass its
        indices). A slice is read from its offset.
    null : scalar, optional
        The value given to nulls. Without it, data with nulls is refused.

    Returns
    -------
    ndarray
        Of the matching NumPy type (``bool`` for booleans). The chunks of a
        ChunkedArray are copied into one array; numbers of a single array (or
        of a ChunkedArray of one chunk) without nulls are not copied: the
        result is then a read-only view of Arrow's memory.

    Raises
    ------
    TypeError
        For any other type.
    ValueError
        For data with nulls when ``null`` is not given.
    """
    if isinstance(data, pa.Array):
        return _chunk(data, null)
    if data.num_chunks == 1:
        return _chunk(data.chunk(0), null)
    return np.concatenate(
        [_chunk(chunk, null) for chunk in data.chunks] or [np.zeros(0, _dtype(data.type))]
    )


def _chunk(array: pa.Array, null: object) -> np.ndarray:
    """Read one array's values (see :func:`to_numpy`)."""
    dtype = _dtype(array.type)
    if array.null_count and null is None:
        raise ValueError(f"{array.null_count} null(s) and no value given for them")
    if not len(array):
        return np.zeros(0, dtype)
    validity, data = array.buffers()
    if dtype == np.bool_:
        values = _bits(data, array.offset, len(array))
    else:
        values = np.frombuffer(
            data, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
        )
        values.flags.writeable = False
    if array.null_count:
        values = values.copy()
        values[~_bits(validity, array.offset, len(array))] = null
    return values


def _bits(buffer: pa.Buffer, offset: int, size: int) -> np.ndarray:
    """Unpack ``size`` bits from bit ``offset`` of a bitmap into booleans."""
    packed = np.frombuffer(buffer, dtype=np.uint8)
    return np.unpackbits(packed, count=offset + size, bitorder="little")[offset:].view(np.bool_)


def _dtype(kind: pa.DataType) -> np.dtype:
    """Return the NumPy type of an Arrow type of numbers or booleans."""
    if pa.types.is_boolean(kind):
        return np.dtype(np.bool_)
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        raise TypeError(f"not an array of numbers or booleans: {kind}")
    code = "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
    return np.dtype(f"{code}{kind.bit_width // 8}")


def from_numpy(values: np.ndarray, *, nan_is_null: bool = False) -> pa.Array:
    """Return a one-dimensional NumPy array of numbers or booleans as an Arrow array.

    Numbers are shared with ``values`` when it is contiguous (do not modify it
    while the result is in use); booleans are packed into bits.

    Parameters
    ----------
    values : ndarray
        Integers, floats or booleans, one dimension.
    nan_is_null : bool
        Make NaN a null (as ``pa.array(values, from_pandas=True)`` does).

    Raises
    ------
    TypeError
        For other types of values.
    """
    values = np.ascontiguousarray(values)
    if values.ndim != 1 or values.dtype.kind not in "biuf":
        raise TypeError(f"not a one-dimensional array of numbers or booleans: {values.dtype}")
    kind = pa.from_numpy_dtype(values.dtype)
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
    else:
        data = pa.py_buffer(values)
    validity = None
    if nan_is_null and values.dtype.kind == "f":
        valid = ~np.isnan(values)
        if not valid.all():
            validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(kind, values.size, [validity, data])


def strings(texts: Sequence[str]) -> pa.Array:
    """Return texts as an Arrow array of strings (``large_string`` beyond 2 GiB of text)."""
    encoded = [text.encode("utf-8") for text in texts]
    ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
    offsets = np.concatenate([[0], ends])
    if offsets[-1] < 2**31:
        kind, offsets = pa.string(), offsets.astype(np.int32)
    else:
        kind = pa.large_string()
    return pa.Array.from_buffers(
        kind, len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def scalar(value: object) -> pa.Scalar:
    """Return a text, bool, int or float as an Arrow scalar (string, bool, int64 or double).

    Raises
    ------
    TypeError
        For any other value.
    """
    if isinstance(value, str):
        return strings([value])[0]
    return from_numpy(np.array([value]))[0]
