"""Builds python_reference.safetensors, the byte-exact reference for PythonReferenceTest.

Run from this directory with `python3 make_python_reference.py` (Python 3.8+, standard library only).

The `safetensors` wheel is not installable on our machines, so this script reproduces, step by step,
what `safetensors.numpy.save_file(tensors, path, metadata={"format": "pt"})` does (Rust
`safetensors::tensor::prepare` + `serialize_to_file`):
  1. order tensors by dtype in descending alignment order (U64, I64, F64, F32, U32, I32, BF16, F16,
     U16, I16, I8, U8, BOOL), then by name;
  2. lay the data out back to back from offset 0, in that order;
  3. header = serde_json compact JSON: "__metadata__" first, then each tensor as
     {"dtype":..,"shape":[..],"data_offsets":[begin,end]}, no spaces, UTF-8 unescaped;
  4. pad the header with spaces to a multiple of 8 bytes;
  5. write u64 little-endian header length, header, data.
BF16 values are chosen exactly representable so truncating a float32 gives the right bits.
"""
import json
import struct

RANK = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32",
        "F32", "F64", "I64", "U64"]  # increasing alignment, as the Rust Dtype enum


def bf16(values):
    return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:]
                    for v in values)


tensors = {
    # name: (dtype, shape, little-endian bytes)
    "a.f64": ("F64", [2], struct.pack("<2d", 1.5, -2.25)),
    "b.i64": ("I64", [3], struct.pack("<3q", -1, 0, 2 ** 40)),
    "c.f32": ("F32", [2, 3], struct.pack("<6f", 0.0, 1.0, -1.0, 0.5, 3.25, -0.001)),
    "d.i32": ("I32", [2], struct.pack("<2i", -7, 2 ** 31 - 1)),
    "e.bf16": ("BF16", [4], bf16([1.0, -2.0, 0.5, 3.140625])),
    # 2**-24 is the smallest F16 subnormal, 65504 the largest finite F16.
    "f.f16": ("F16", [2, 2], struct.pack("<4e", 1.0, -0.5, 65504.0, 2.0 ** -24)),
    "g.i16": ("I16", [2], struct.pack("<2h", -32768, 12345)),
    "h.i8": ("I8", [3], struct.pack("<3b", -128, 0, 127)),
    "i.u8": ("U8", [3], bytes([0, 128, 255])),
    "j.bool": ("BOOL", [2], bytes([1, 0])),
    "k.empty": ("F32", [0, 3], b""),
    "l.scalar": ("F32", [], struct.pack("<f", 7.0)),
}
metadata = {"format": "pt"}

order = sorted(tensors, key=lambda n: (-RANK.index(tensors[n][0]), n))
header = {"__metadata__": metadata}
offset = 0
for name in order:
    dtype, shape, data = tensors[name]
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
text += b" " * ((8 - len(text) % 8) % 8)
with open("python_reference.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for name in order:
        f.write(tensors[name][2])
