"""Minimal reader and writer for the safetensors file format.

Layout: an unsigned 64-bit little-endian header length N, then N bytes of
JSON, then the data section. The JSON maps each tensor name to its dtype,
shape and data_offsets [begin, end) relative to the start of the data
section, plus an optional "__metadata__" map of strings to strings. The
writer pads the header with spaces so the data section starts at a
multiple of 8 bytes, and stores tensors back to back in name order.
"""

import json
import struct

import numpy as np

_DTYPES = {
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def save_file(tensors, path, metadata=None):
    """Write a dict of name -> numpy array to path."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        # np.ascontiguousarray would turn a 0-d array into shape (1,).
        array = np.asarray(tensors[name])
        if not array.flags.c_contiguous:
            array = array.copy(order="C")
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if dtype not in _NAMES:
            raise ValueError(f"tensor {name!r} has unsupported dtype {array.dtype}")
        blob = array.astype(dtype, copy=False).tobytes()
        header[name] = {
            "dtype": _NAMES[dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


def load_file(path):
    """Read path and return (dict of name -> numpy array, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: file is shorter than the 8-byte header length")
    (header_length,) = struct.unpack("<Q", data[:8])
    if 8 + header_length > len(data):
        raise ValueError(f"{path}: header length {header_length} exceeds the file size {len(data)}")
    header = json.loads(data[8 : 8 + header_length].decode("utf-8"))
    body = memoryview(data)[8 + header_length :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if not 0 <= begin <= end <= len(body) or end - begin != expected:
            raise ValueError(
                f"{path}: tensor {name!r} has data_offsets {begin}..{end}, "
                f"expected {expected} bytes inside a {len(body)}-byte data section"
            )
        tensors[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(shape).copy()
    return tensors, metadata
