#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpora for the fuzz targets (tests/fuzz/README.md): small real files
written with python3-onnx, numpy and Pillow (Debian python3-onnx,
python3-numpy, python3-pil) into OUT/<target>/. Every ONNX seed is a model that
vkattn imports and builds (make_seeds.py --check with fuzz_onnx verifies that),
each covering a group of ops with tiny, odd shapes.

    python3 tests/fuzz/make_seeds.py build-fuzz/seeds
"""
import io
import json
import os
import struct
import sys

import numpy as np

OPSET = 17


def onnx_seeds():
    import onnx
    from onnx import TensorProto as TP
    from onnx import helper as h
    from onnx import numpy_helper as nh

    rng = np.random.default_rng(13)

    def init(name, arr):
        return nh.from_array(np.asarray(arr), name)

    def f32(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    def i64(v):
        return np.asarray(v, dtype=np.int64)

    def model(name, nodes, inputs, outputs, inits):
        g = h.make_graph(nodes, name, inputs, outputs, inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", OPSET)], producer_name="vkattn-fuzz-seeds")
        m.ir_version = 8
        onnx.checker.check_model(m) if all(o.type.tensor_type.HasField("shape") for o in g.output) else None
        return m.SerializeToString()

    vi = h.make_tensor_value_info
    out = {}

    # MatMul + bias + GELU (Erf) + Gemm
    out["mlp"] = model("mlp", [
        h.make_node("MatMul", ["x", "w1"], ["a"]),
        h.make_node("Add", ["a", "b1"], ["b"]),
        h.make_node("Div", ["b", "sqrt2"], ["c"]),
        h.make_node("Erf", ["c"], ["d"]),
        h.make_node("Add", ["d", "one"], ["e"]),
        h.make_node("Mul", ["b", "e"], ["f"]),
        h.make_node("Mul", ["f", "half"], ["g"]),
        h.make_node("Reshape", ["g", "shp"], ["g2"]),
        h.make_node("Gemm", ["g2", "w2", "b2"], ["y"], transB=1, alpha=0.5, beta=1.0),
    ], [vi("x", TP.FLOAT, [1, 5, 6])], [vi("y", TP.FLOAT, [5, 3])],
        [init("w1", f32(6, 7)), init("b1", f32(7)), init("sqrt2", np.float32(1.4142135)),
         init("one", np.float32(1)), init("half", np.float32(0.5)), init("shp", i64([5, 7])),
         init("w2", f32(3, 7)), init("b2", f32(3))])

    # Q·Kᵀ → scale → Softmax → ·V (the attention fusion), heads split by Reshape/Transpose
    out["attention"] = model("attention", [
        h.make_node("MatMul", ["x", "wq"], ["q0"]), h.make_node("MatMul", ["x", "wk"], ["k0"]),
        h.make_node("MatMul", ["x", "wv"], ["v0"]),
        h.make_node("Reshape", ["q0", "hs"], ["q1"]), h.make_node("Reshape", ["k0", "hs"], ["k1"]),
        h.make_node("Reshape", ["v0", "hs"], ["v1"]),
        h.make_node("Transpose", ["q1"], ["q"], perm=[0, 2, 1, 3]),
        h.make_node("Transpose", ["k1"], ["kt"], perm=[0, 2, 3, 1]),
        h.make_node("Transpose", ["v1"], ["v"], perm=[0, 2, 1, 3]),
        h.make_node("MatMul", ["q", "kt"], ["s"]), h.make_node("Mul", ["s", "scale"], ["s2"]),
        h.make_node("Softmax", ["s2"], ["p"], axis=-1), h.make_node("MatMul", ["p", "v"], ["o"]),
        h.make_node("Transpose", ["o"], ["o1"], perm=[0, 2, 1, 3]),
        h.make_node("Reshape", ["o1", "os"], ["y"]),
    ], [vi("x", TP.FLOAT, [1, 5, 6])], [vi("y", TP.FLOAT, [1, 5, 6])],
        [init("wq", f32(6, 6)), init("wk", f32(6, 6)), init("wv", f32(6, 6)), init("hs", i64([1, 5, 2, 3])),
         init("scale", np.float32(0.577)), init("os", i64([1, 5, 6]))])

    # LayerNorm, decomposed (the fusion) and the op
    out["layernorm"] = model("layernorm", [
        h.make_node("ReduceMean", ["x"], ["m"], axes=[-1]), h.make_node("Sub", ["x", "m"], ["d"]),
        h.make_node("Pow", ["d", "two"], ["d2"]), h.make_node("ReduceMean", ["d2"], ["v"], axes=[-1]),
        h.make_node("Add", ["v", "eps"], ["ve"]), h.make_node("Sqrt", ["ve"], ["sd"]),
        h.make_node("Div", ["d", "sd"], ["n"]), h.make_node("Mul", ["n", "gamma"], ["ng"]),
        h.make_node("Add", ["ng", "beta"], ["a"]),
        h.make_node("LayerNormalization", ["a", "gamma", "beta"], ["b"], axis=-1, epsilon=1e-5),
        h.make_node("ReduceSum", ["b", "ax"], ["c"], keepdims=1), h.make_node("ReduceMax", ["c"], ["y"], axes=[1]),
    ], [vi("x", TP.FLOAT, [2, 3, 7])], [vi("y", TP.FLOAT, [2, 1, 1])],
        [init("two", np.float32(2)), init("eps", np.float32(1e-5)), init("gamma", f32(7)), init("beta", f32(7)),
         init("ax", i64([2]))])

    # Conv, BatchNorm, pools, Resize, Pad, Clip
    out["conv"] = model("conv", [
        h.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        h.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["bn"], epsilon=1e-5),
        h.make_node("Relu", ["bn"], ["r"]),
        h.make_node("Conv", ["r", "wd"], ["dw"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=4, dilations=[1, 1]),
        h.make_node("MaxPool", ["dw"], ["mp"], kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1]),
        h.make_node("AveragePool", ["mp"], ["ap"], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1],
                    count_include_pad=0),
        h.make_node("Resize", ["ap", "", "scales"], ["rs"], mode="nearest"),
        h.make_node("Pad", ["rs", "pads"], ["pd"], mode="constant"),
        h.make_node("Clip", ["pd", "lo", "hi"], ["cl"]),
        h.make_node("GlobalAveragePool", ["cl"], ["y"]),
    ], [vi("x", TP.FLOAT, [1, 3, 9, 7])], [vi("y", TP.FLOAT, [1, 4, 1, 1])],
        [init("w", f32(4, 3, 3, 3)), init("b", f32(4)), init("g", f32(4)), init("be", f32(4)), init("mu", f32(4)),
         init("var", np.abs(f32(4)) + 0.5), init("wd", f32(4, 1, 3, 3)),
         init("scales", np.asarray([1, 1, 2, 2], np.float32)), init("pads", i64([0, 0, 1, 0, 0, 0, 0, 2])),
         init("lo", np.float32(-1)), init("hi", np.float32(1))])

    # Shape arithmetic folded on the host: Shape, Gather, Unsqueeze, Concat, Slice, Squeeze, Flatten, Expand, Tile
    out["shape"] = model("shape", [
        h.make_node("Shape", ["x"], ["s"]),
        h.make_node("Gather", ["s", "i0"], ["d0"], axis=0),
        h.make_node("Unsqueeze", ["d0", "ax0"], ["d0u"]),
        h.make_node("Concat", ["d0u", "m1"], ["ns"], axis=0),
        h.make_node("Reshape", ["x", "ns"], ["r"]),
        h.make_node("Slice", ["r", "st", "en", "axs", "stp"], ["sl"]),
        h.make_node("Unsqueeze", ["sl", "ax1"], ["u"]),
        h.make_node("Squeeze", ["u", "ax1"], ["sq"]),
        h.make_node("Flatten", ["sq"], ["fl"], axis=1),
        h.make_node("Expand", ["fl", "es"], ["ex"]),
        h.make_node("Tile", ["ex", "reps"], ["ti"]),
        h.make_node("Transpose", ["ti"], ["tr"], perm=[2, 0, 1]),
        h.make_node("Size", ["tr"], ["sz"]),
        h.make_node("Cast", ["sz"], ["szf"], to=TP.FLOAT),
        h.make_node("Mul", ["tr", "szf"], ["y"]),
    ], [vi("x", TP.FLOAT, [2, 3, 5])], [vi("y", TP.FLOAT, None)],
        [init("i0", i64(0)), init("ax0", i64([0])), init("m1", i64([-1])), init("st", i64([1])), init("en", i64([14])),
         init("axs", i64([1])), init("stp", i64([2])), init("ax1", i64([1])), init("es", i64([3, 1, 7])),
         init("reps", i64([1, 2, 1]))])

    # Constants and selection: Constant, ConstantOfShape, Range, Where, Equal, Split, TopK, GatherElements
    out["select"] = model("select", [
        h.make_node("Constant", [], ["c"], value=nh.from_array(f32(2, 6), "c")),
        h.make_node("ConstantOfShape", ["cs"], ["z"], value=nh.from_array(np.asarray([0.25], np.float32), "v")),
        h.make_node("Add", ["x", "c"], ["a"]),
        h.make_node("Add", ["a", "z"], ["b"]),
        h.make_node("Range", ["r0", "r1", "r2"], ["rg"]),
        h.make_node("Cast", ["rg"], ["rgf"], to=TP.FLOAT),
        h.make_node("Equal", ["rg", "three"], ["eq"]),
        h.make_node("Where", ["eq", "b", "rgf"], ["w"]),
        h.make_node("Split", ["w", "sp"], ["s1", "s2"], axis=1),
        h.make_node("TopK", ["s1", "k"], ["tv", "ti"], axis=-1),
        h.make_node("GatherElements", ["s2", "ti"], ["ge"], axis=1),
        h.make_node("Sigmoid", ["ge"], ["sg"]),
        h.make_node("Tanh", ["tv"], ["th"]),
        h.make_node("Concat", ["sg", "th"], ["y"], axis=1),
    ], [vi("x", TP.FLOAT, [2, 6])], [vi("y", TP.FLOAT, None)],
        [init("cs", i64([2, 6])), init("r0", i64(0)), init("r1", i64(6)), init("r2", i64(1)), init("three", i64(3)),
         init("sp", i64([2, 4])), init("k", i64([2]))])

    # GridSample (opset 16+), Gather of device rows, unary ops
    out["grid"] = model("grid", [
        h.make_node("GridSample", ["x", "grid"], ["gs"], align_corners=0, mode="bilinear", padding_mode="zeros"),
        h.make_node("Exp", ["gs"], ["e"]), h.make_node("Log", ["e"], ["l"]), h.make_node("Abs", ["l"], ["ab"]),
        h.make_node("Neg", ["ab"], ["ng"]), h.make_node("Sin", ["ng"], ["sn"]), h.make_node("Cos", ["sn"], ["cs"]),
        h.make_node("Reciprocal", ["cs"], ["rc"]), h.make_node("Max", ["rc", "gs", "ab"], ["mx"]),
        h.make_node("Min", ["mx", "ng"], ["mn"]), h.make_node("Sub", ["mn", "gs"], ["sb"]),
        h.make_node("Gather", ["sb", "idx"], ["y"], axis=2),
    ], [vi("x", TP.FLOAT, [1, 2, 5, 4])], [vi("y", TP.FLOAT, None)],
        [init("grid", (rng.random((1, 3, 3, 2)) * 2 - 1).astype(np.float32)), init("idx", i64([2, 0]))])
    return out


def safetensors_file(tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    hj = json.dumps(header).encode()
    hj += b" " * (-len(hj) % 8)
    return struct.pack("<Q", len(hj)) + hj + b"".join(blobs)


def safetensors_seeds():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((3, 5)).astype(np.float32)
    return {
        "f32_i64": safetensors_file([("w", "F32", [3, 5], a.tobytes()),
                                     ("idx", "I64", [4], np.arange(4, dtype=np.int64).tobytes())],
                                    {"format": "pt", "num_heads": "3"}),
        "mixed": safetensors_file([("h", "F16", [2, 3], a[:2, :3].astype(np.float16).tobytes()),
                                   ("b", "BF16", [2], b"\x80\x3f\x00\x40"),
                                   ("d", "F64", [1], np.float64(2.5).tobytes()),
                                   ("i32", "I32", [2], np.asarray([1, -1], np.int32).tobytes()),
                                   ("i16", "I16", [1], b"\x01\x00"), ("i8", "I8", [3], b"\x01\x02\x03"),
                                   ("u8", "U8", [1, 1], b"\xff"), ("m", "BOOL", [2], b"\x01\x00")]),
        "empty_scalar": safetensors_file([("e", "F32", [0, 4], b""), ("s", "F32", [], np.float32(1).tobytes())]),
        "nothing": safetensors_file([]),
    }


def image_seeds():
    from PIL import Image
    rng = np.random.default_rng(5)
    rgb = Image.fromarray(rng.integers(0, 256, (7, 5, 3), dtype=np.uint8), "RGB")
    out = {}

    def save(name, img, fmt, **kw):
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        out[name] = b.getvalue()

    save("rgb.png", rgb, "PNG")
    save("rgba.png", rgb.convert("RGBA"), "PNG")
    save("gray.png", rgb.convert("L"), "PNG")
    save("palette.png", rgb.convert("P"), "PNG")
    save("gray16.png", Image.fromarray((rng.integers(0, 65536, (3, 4))).astype(np.uint16)), "PNG")
    save("base.jpg", rgb, "JPEG", quality=80)
    save("prog.jpg", rgb, "JPEG", quality=60, progressive=True)
    save("gray.jpg", rgb.convert("L"), "JPEG")
    save("rgb.bmp", rgb, "BMP")
    save("pal.bmp", rgb.convert("P"), "BMP")
    save("anim.gif", rgb.convert("P"), "GIF")
    save("rgb.tga", rgb, "TGA")
    save("rle.tga", rgb, "TGA", compression="tga_rle")
    save("rgb.ppm", rgb, "PPM")
    save("gray.pgm", rgb.convert("L"), "PPM")
    # Radiance HDR, flat (unencoded RGBE) scanlines
    px = rng.integers(1, 255, (2 * 3, 4), dtype=np.uint8)
    out["flat.hdr"] = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 3\n" + px.tobytes()
    # Photoshop PSD: 3 channels, 8-bit, raw image data
    w, hgt = 3, 2
    psd = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, hgt, w, 8, 3) + struct.pack(">III", 0, 0, 0)
    psd += struct.pack(">H", 0) + bytes(rng.integers(0, 256, 3 * w * hgt, dtype=np.uint8))
    out["raw.psd"] = psd
    return out


def npy_seeds():
    out = {}

    def save(name, arr, version=None):
        b = io.BytesIO()
        if version:
            np.lib.format.write_array(b, arr, version=version)
        else:
            np.save(b, arr)
        out[name] = b.getvalue()

    save("f32.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    save("i64.npy", np.arange(4, dtype=np.int64))
    save("scalar.npy", np.float32(1.5))
    save("empty.npy", np.zeros((0, 3), np.float32))
    save("v2.npy", np.ones((1, 2, 1), np.float32), version=(2, 0))
    save("fortran.npy", np.asfortranarray(np.ones((2, 2), np.float32)))  # refused
    save("f64.npy", np.ones(2, np.float64))  # refused
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    root = sys.argv[1]
    groups = {"fuzz_safetensors": safetensors_seeds(), "fuzz_image": image_seeds(), "fuzz_npy": npy_seeds()}
    onnx = onnx_seeds()
    groups["fuzz_onnx"] = groups["fuzz_onnx_struct"] = {k + ".onnx": v for k, v in onnx.items()}
    for target, files in groups.items():
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{d}: {len(files)} seeds, {sum(map(len, files.values()))} bytes")


if __name__ == "__main__":
    main()
