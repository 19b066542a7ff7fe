#!/usr/bin/env python3
"""Every shipped model (models/*/*.tflite) loads in our engine and matches its card.

    python models/check_cards.py --tinyml target/release/tinyml [--shared ../shared]

Per model folder: the card lists exactly the .tflite files present; each loads (`tinyml
inspect`), with the input and output shape, dtype and quantization the card states, as many
outputs as labels, the stated file size, and an arena no larger than the card's; model_data.cc
holds the bytes of the model it names. Then the figures are recomputed on our engine:
  sine        MAE against sin(x) over the card's grid, every model, within 1e-4;
  digits      accuracy on the held-out MNIST split (from the shared data), int8 equal to the
              card's figure and its confusion matrix, float within 0.1%;
  magic_wand  the worked rasteriser example, scripted drawings of each gesture, and accuracy on
              the regenerated synthetic test strokes, within 0.5%;
  keyword     the class of each real recording in ../shared/data/micro_speech (features by
              pymicro-features, fresh and looped) as the card states, and "yes" for yes_1000ms,
              "no" for no_1000ms, not a word for silence and noise.
Training is not run here (it needs TensorFlow); only numpy and the CLI.
Prints one line per check and a closing 'N passed, N failed' line; exits non-zero on failure.
"""
import argparse
import glob
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

MODELS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(MODELS)
DTYPES = {"int8": np.int8, "uint8": np.uint8, "float32": np.float32, "int16": np.int16}


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, what, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {what}" + (f": {detail}" if detail else ""))
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


def inspect(tinyml, path):
    out = subprocess.run([tinyml, "inspect", path, "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return json.loads(out.stdout)


def run(tinyml, path, inputs, out_dtype, per_sample):
    """k input tensors in one file -> k outputs (one `tinyml run`)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
        np.ascontiguousarray(inputs).tofile(src)
        subprocess.run([tinyml, "run", path, "--input", src, "--output", dst], check=True)
        return np.fromfile(dst, dtype=out_dtype).reshape(len(inputs), per_sample)


def quantize(x, t):
    if t["dtype"] == "float32":
        return x.astype(np.float32)
    info = np.iinfo(DTYPES[t["dtype"]])
    q = np.round(x / np.float32(t["scale"])) + t["zero_point"]
    return np.clip(q, info.min, info.max).astype(DTYPES[t["dtype"]])


def dequantize(q, t):
    if t["dtype"] == "float32":
        return q
    return (q.astype(np.float32) - t["zero_point"]) * np.float32(t["scale"])


def c_array_bytes(path):
    text = open(path).read()
    body = text[text.index("{") + 1:text.index("}")]
    return bytes(int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]{2})", body))


def check_files(c, tinyml, folder, card):
    name = os.path.basename(folder)
    c.check(f"{name}: card names its folder", card.get("name") == name, card.get("name"))
    for key in ("command", "seed", "date"):
        c.check(f"{name}: card says how it was trained ({key})", key in card.get("training", {}))
    present = sorted(os.path.basename(p) for p in glob.glob(os.path.join(folder, "*.tflite")))
    listed = sorted(m["file"] for m in card["models"])
    c.check(f"{name}: card lists the .tflite files present", present == listed, f"{present} vs {listed}")
    for m in card["models"]:
        path = os.path.join(folder, m["file"])
        if not os.path.exists(path):
            continue
        what = f"{name}/{m['file']}"
        try:
            info = inspect(tinyml, path)
        except RuntimeError as e:
            c.check(f"{what} loads", False, str(e))
            continue
        c.check(f"{what} loads", True, f"arena {info['arena_bytes']} bytes")
        c.check(f"{what} size", os.path.getsize(path) == m["bytes"], f"{os.path.getsize(path)}")
        for side in ("input", "output"):
            t = info[side + "s"][0]
            got = {"shape": t["shape"], "dtype": t["dtype"].lower(), "scale": t.get("scale"),
                   "zero_point": t.get("zero_point")}
            c.check(f"{what} {side} shape, dtype, quantization", got == m[side],
                    "" if got == m[side] else f"{got} vs card {m[side]}")
        if card.get("labels") is not None:
            n = info["outputs"][0]["shape"][-1]
            c.check(f"{what} one output per label", n == len(card["labels"]), f"{n} vs {len(card['labels'])}")
        c.check(f"{what} arena within the card's", info["arena_bytes"] <= m["arena_bytes"],
                f"{info['arena_bytes']} vs {m['arena_bytes']}")
    arr = card.get("c_array")
    if arr:
        cc = os.path.join(folder, "model_data.cc")
        ok = os.path.exists(cc) and c_array_bytes(cc) == open(os.path.join(folder, arr["of"]), "rb").read()
        c.check(f"{name}: model_data.cc holds {arr['of']}", ok)
        h = os.path.join(folder, "model_data.h")
        c.check(f"{name}: model_data.h declares {arr['symbol']}",
                os.path.exists(h) and arr["symbol"] in open(h).read() and "alignas(16)" in open(cc).read())


def check_sine(c, tinyml, folder, card):
    n = card["evaluation"]["grid_points"]
    grid = np.linspace(0, 2 * math.pi, n).astype(np.float32)
    for m in card["models"]:
        path = os.path.join(folder, m["file"])
        out_dtype = DTYPES[m["output"]["dtype"]]
        q = run(tinyml, path, quantize(grid, m["input"])[:, None], out_dtype, 1)[:, 0]
        mae = float(np.mean(np.abs(dequantize(q, m["output"]) - np.sin(grid))))
        want = m["metrics"]["mae_vs_sin"]
        c.check(f"sine/{m['file']} MAE vs sin(x) on our engine", abs(mae - want) <= 1e-4,
                f"{mae:.6f} vs card {want}")


def read_idx(path):
    import gzip

    data = gzip.open(path, "rb").read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def check_digits(c, tinyml, folder, card, shared):
    mnist = os.path.join(shared, "data", "mnist")
    images = os.path.join(mnist, "t10k-images-idx3-ubyte.gz")
    if not c.check("digits: MNIST test digits present", os.path.exists(images), mnist):
        return
    x, y = read_idx(images), read_idx(os.path.join(mnist, "t10k-labels-idx1-ubyte.gz"))
    held = card["evaluation"]["held_out"]
    every = int(re.fullmatch(r"index % (\d+) == 0", held["rule"]).group(1))
    x, y = x[::every], y[::every]
    c.check("digits: held-out split size", len(x) == held["samples"], f"{len(x)}")
    for m in card["models"]:
        path = os.path.join(folder, m["file"])
        pixels = x.astype(np.float32)[..., None] / np.float32(255)
        if m["input"]["dtype"] == "int8":
            inputs = (x.astype(np.int16) - 128).astype(np.int8)[..., None]  # the card's q = pixel - 128
            c.check(f"digits/{m['file']} input is pixel - 128",
                    m["input"]["zero_point"] == -128 and abs(m["input"]["scale"] * 255 - 1) < 1e-6)
        else:
            inputs = pixels
        pred = run(tinyml, path, inputs, DTYPES[m["output"]["dtype"]], 10).argmax(1)
        acc = round(float(np.mean(pred == y)), 4)
        want = m["metrics"]["accuracy"]
        if m["variant"] == "int8":
            c.check(f"digits/{m['file']} held-out accuracy on our engine", acc == want,
                    f"{acc} vs card {want}")
            conf = np.zeros((10, 10), int)
            for t, p in zip(y, pred):
                conf[t, p] += 1
            c.check(f"digits/{m['file']} confusion matrix",
                    conf.tolist() == card["evaluation"]["confusion_matrix"]["matrix"])
            c.check(f"digits/{m['file']} int8 accuracy >= 97%", acc >= 0.97, f"{acc}")
        else:
            c.check(f"digits/{m['file']} held-out accuracy on our engine", abs(acc - want) <= 0.001,
                    f"{acc} vs card {want}")


def load_module(name, path):
    """A model folder's module by path (every folder has a train.py: no name clashes)."""
    import importlib.util

    if MODELS not in sys.path:
        sys.path.insert(0, MODELS)  # for their `import pipeline`
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def check_magic_wand(c, tinyml, folder, card):
    rasterize = load_module("rasterize", os.path.join(folder, "rasterize.py"))
    train = load_module("magic_wand_train", os.path.join(folder, "train.py"))  # numpy only

    ex = json.load(open(os.path.join(folder, "raster_example.json")))
    q = rasterize.normalise(ex["pointer_points"])
    c.check("magic_wand: worked example, normalise", q.tolist() == ex["int8_points"])
    r = rasterize.rasterize([tuple(p) for p in ex["int8_points"]])
    c.check("magic_wand: worked example, rasterize", r.ravel().tolist() == ex["raster"])
    clean = train.clean_drawings()
    m = next(m for m in card["models"] if m["file"] == card["default"])
    rasters = np.stack([train.to_raster(points) for _, _, points in clean])
    pred = run(tinyml, os.path.join(folder, m["file"]), rasters, np.int8, len(card["labels"])).argmax(1)
    for (name, want, _), p, row in zip(clean, pred, card["evaluation"]["clean_drawings"]["results"]):
        got = card["labels"][int(p)]
        c.check(f"magic_wand: drawn {name} is {want}", got == want == row["predicted"], got)
    x, y = train.make_split("test", train.SEED * 1000 + 3)
    for m in card["models"]:
        path = os.path.join(folder, m["file"])
        inputs = x if m["input"]["dtype"] == "int8" else x.astype(np.float32) + 128
        pred = run(tinyml, path, inputs, DTYPES[m["output"]["dtype"]], len(card["labels"])).argmax(1)
        acc = round(float(np.mean(pred == y)), 4)
        want = m["metrics"]["accuracy"]
        c.check(f"magic_wand/{m['file']} synthetic test accuracy on our engine",
                abs(acc - want) <= 0.005, f"{acc} vs card {want}")


def check_keyword(c, tinyml, folder, card, shared):
    """The real recordings, through pymicro-features (the frontend's oracle, in .venv)."""
    train = load_module("keyword_train", os.path.join(folder, "train.py"))  # numpy only
    m = next(m for m in card["models"] if m["file"] == card["default"])
    path = os.path.join(folder, m["file"])
    data = os.path.join(shared, "data", "micro_speech")
    for name, result in card["evaluation"]["real_recordings"].items():
        audio = train.read_wav(os.path.join(data, name))
        for mode, samples in (("fresh", audio), ("looped", np.concatenate([audio, audio]))):
            q = quantize(train.features(samples), m["input"])[None, ..., None]
            got = card["labels"][int(run(tinyml, path, q, np.int8, len(card["labels"]))[0].argmax())]
            want = result[mode]["class"]
            c.check(f"keyword: {name} ({mode}) on our engine is '{want}' as the card says",
                    got == want, got)
            expected = result["expected"]
            ok = got == expected if expected in card["labels"] else got in ("silence", "unknown")
            c.check(f"keyword: {name} ({mode}) is {expected}", ok, got)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tinyml", required=True)
    ap.add_argument("--shared", default=os.environ.get("TINYML_SHARED") or os.path.join(REPO, "..", "shared"))
    args = ap.parse_args()
    c = Checks()
    figures = {"sine": check_sine, "magic_wand": check_magic_wand,
               "digits": lambda c, t, f, card: check_digits(c, t, f, card, args.shared),
               "keyword": lambda c, t, f, card: check_keyword(c, t, f, card, args.shared)}
    folders = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(MODELS, "*", "card.json")))
    for folder in sorted({os.path.dirname(p) for p in glob.glob(os.path.join(MODELS, "*", "*.tflite"))}):
        c.check(f"{os.path.basename(folder)}: has a card.json", folder in folders)
    for folder in folders:
        card = json.load(open(os.path.join(folder, "card.json")))
        check_files(c, args.tinyml, folder, card)
        if os.path.basename(folder) in figures:
            figures[os.path.basename(folder)](c, args.tinyml, folder, card)
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
