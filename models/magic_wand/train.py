#!/usr/bin/env python3
"""magic_wand: which gesture a drawn stroke is — W, O, L, or none — from the stroke rasterised
as TFLM's newer magic_wand example does (32x32x3 int8, colour = time; see rasterize.py).

    python models/magic_wand/train.py [--tinyml target/release/tinyml]

No recorded gestures are to be had here, so the strokes are synthetic: each class is a template
(W: four strokes down-up-down-up; O: a loop; L: down then right) drawn with random proportions,
rotation, size, offset, corner rounding, hand jitter and wobble, and a random speed profile (the
points fall unevenly along the path, 24 to 160 of them), in the usual direction and sometimes
reversed. "none" is lines, arcs, V, Z/N, S, C, U, zig-zags with other than four strokes, and
random scribbles. Train, validation and test strokes are drawn from independent seeds.

Writes models/magic_wand/: magic_wand.tflite (int8), magic_wand_float.tflite, model_data.cc/.h,
card.json, curves.png, examples.png, raster_example.json (a stroke and its raster, for checking
another implementation of the rasteriser).
"""
import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import pipeline  # noqa: E402
import rasterize  # noqa: E402

OUT = HERE
SEED = 3
LABELS = ["W", "O", "L", "none"]
PER_CLASS = {"train": 3000, "validation": 400, "test": 1000}
EPOCHS = 30
BATCH = 64


# ---- Step 1, data: synthetic strokes -------------------------------------------------------

def template(label, rng):
    """A gesture's ideal path as a dense polyline, y up, roughly unit-sized."""
    u = rng.uniform
    if label == "W":
        h, mid = u(0.7, 1.3), u(0.2, 1.0)  # height, height of the middle peak (of h)
        xs = np.cumsum([0, *u(0.6, 1.4, 4)])
        xs = xs / xs[-1] * u(0.8, 1.5)
        ys = np.array([h, 0, mid * h, 0, h]) + u(-0.08, 0.08, 5)
        return _densify(np.stack([xs, ys], 1))
    if label == "O":
        start = u(0, 2 * math.pi) if rng.random() < 0.4 else math.pi / 2 + u(-0.6, 0.6)
        sweep = u(2 * math.pi * 0.92, 2 * math.pi * 1.12) * (1 if rng.random() < 0.5 else -1)
        a = start + np.linspace(0, sweep, 200)
        r = 1 + u(-0.12, 0.12) * np.sin(a * rng.integers(1, 3) + u(0, 6))
        return np.stack([u(0.7, 1.3) * r * np.cos(a), r * np.sin(a)], 1)
    if label == "L":
        h, w = u(0.8, 1.3), u(0.4, 1.0)
        pts = np.array([[0, h], [u(-0.1, 0.1), 0], [w, u(-0.1, 0.1)]])
        return _densify(pts)
    return _none_shape(rng)


def _none_shape(rng):
    u = rng.uniform
    kind = rng.integers(0, 10)
    if kind == 0:  # straight line
        return _densify(np.array([[0, 0], [1, 0]]))
    if kind in (1, 2):  # arc, C or U (an open loop: at most 240 deg)
        a0 = u(0, 2 * math.pi)
        a = a0 + np.linspace(0, u(0.6, 4.2) * (1 if rng.random() < 0.5 else -1), 120)
        return np.stack([u(0.6, 1.4) * np.cos(a), np.sin(a)], 1)
    if kind == 3:  # V or inverted V
        return _densify(np.array([[0, 1], [u(0.3, 0.7), 0], [1, u(0.7, 1.3)]]))
    if kind == 4:  # Z or N: three strokes
        return _densify(np.array([[0, 1], [1, 1], [0, 0], [1, 0]])
                        if rng.random() < 0.5 else np.array([[0, 0], [0, 1], [1, 0], [1, 1]]))
    if kind == 5:  # S
        t = np.linspace(0, 1, 150)
        return np.stack([0.5 * np.sin(2 * math.pi * t) * (1 if rng.random() < 0.5 else -1), 1 - 2 * t], 1)
    if kind == 6:  # zig-zag of 2, 3, 5, 6 or 7 strokes (4 would be a W)
        k = int(rng.choice([2, 3, 5, 6, 7]))
        xs = np.linspace(0, 1, k + 1)
        ys = np.array([1 if j % 2 == 0 else 0 for j in range(k + 1)], float)
        return _densify(np.stack([xs, ys * u(0.3, 1.0)], 1))
    if kind == 7:  # a spiral or a double loop (more than one turn)
        a = np.linspace(0, u(3.2, 4.5) * math.pi, 300)
        r = np.linspace(u(0.1, 0.5), 1, len(a))
        return np.stack([r * np.cos(a), r * np.sin(a)], 1)
    if kind == 8:  # a check mark, or L turned on its back (a 7, a Gamma)
        pts = [[[0, 0.4], [0.3, 0], [1, 1]], [[0, 1], [1, 1], [1, 0]], [[0, 0], [0, 1], [1, 1]]]
        return _densify(np.array(pts[rng.integers(0, 3)], float))
    # a random smooth scribble
    steps = rng.normal(0, 1, (8, 2)).cumsum(0)
    return _smooth(_densify(steps), 6)


def _densify(pts, per_unit=100):
    out = []
    for a, b in zip(pts[:-1], pts[1:]):
        n = max(2, int(np.linalg.norm(b - a) * per_unit))
        out.append(a + (b - a) * np.linspace(0, 1, n, endpoint=False)[:, None])
    out.append(pts[-1:])
    return np.concatenate(out)


def _smooth(path, width):
    """Moving average along the path (a hand rounds corners); the ends are kept in place."""
    if width < 2:
        return path
    k = np.ones(width) / width
    pad = np.concatenate([np.repeat(path[:1], width, 0), path, np.repeat(path[-1:], width, 0)])
    sm = np.stack([np.convolve(pad[:, d], k, "same") for d in range(2)], 1)
    return sm[width:-width]


def make_stroke(label, rng):
    """A gesture as the page would record it: pointer-like points, x right, y down."""
    path = template(label, rng)
    if rng.random() < (0.2 if label in ("W", "L") else 0.5 if label == "none" else 0.0):
        path = path[::-1]  # drawn backwards (O's direction is already random)
    path = _smooth(path, int(rng.integers(1, 12)))
    # Rotation, and a shear (a slanted hand).
    th, sh = rng.normal(0, 0.15), rng.normal(0, 0.12)
    path = path @ np.array([[1, 0], [sh, 1]]) @ np.array([[math.cos(th), math.sin(th)],
                                                          [-math.sin(th), math.cos(th)]])
    # Resample by arc length with a random speed profile: slow and fast stretches, so the
    # points fall unevenly; between 24 and 160 points (the page keeps at most 160).
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    n = int(rng.integers(24, 161))
    speed = np.exp(rng.normal(0, 0.5) * np.sin(np.linspace(0, rng.uniform(1, 4) * math.pi, n)
                                               + rng.uniform(0, 6)) + rng.normal(0, 0.25, n))
    t = np.concatenate([[0], np.cumsum(speed[:-1])])
    t = t / t[-1] * s[-1]
    pts = np.stack([np.interp(t, s, path[:, d]) for d in range(2)], 1)
    # Hand jitter (per point) and a slow wobble, relative to the stroke's size.
    size = max(np.ptp(pts, axis=0).max(), 1e-6)
    pts += rng.normal(0, rng.uniform(0, 0.02) * size, pts.shape)
    pts += np.outer(np.sin(np.linspace(0, rng.uniform(1, 3), n) * math.pi + rng.uniform(0, 6)),
                    rng.normal(0, 0.03 * size, 2))
    pts[:, 1] = -pts[:, 1]  # to y down, as a pointer reports it
    return pts


def to_raster(points, rng=None):
    """The page's pipeline: rasterize.normalise, then rasterize.rasterize. In training (rng given)
    the normalised stroke is also scaled (0.7-1.15) and moved (+-0.08) before int8 rounding,
    for strokes that a device normalises differently (the example centres on the mean)."""
    q = rasterize.normalise(points)
    if rng is not None:
        v = q.astype(np.float64) / 128 * rng.uniform(0.7, 1.15) + rng.uniform(-0.08, 0.08, 2)
        q = np.clip(np.sign(v) * np.floor(np.abs(v) * 128 + 0.5), -128, 127).astype(np.int8)
    return rasterize.rasterize([tuple(p) for p in q])


def make_split(name, seed):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label_index, label in enumerate(LABELS):
        for _ in range(PER_CLASS[name]):
            xs.append(to_raster(make_stroke(label, rng), rng if name == "train" else None))
            ys.append(label_index)
    order = rng.permutation(len(xs))
    return np.stack(xs)[order], np.array(ys)[order]


def clean_drawings():
    """Gestures as a script (or a steady hand) draws them: straight segments, evenly spaced
    points, pointer coordinates (y down). (name, expected label, points)."""
    def poly(corners, n=60):
        c = np.asarray(corners, float)
        s = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(c, axis=0), axis=1))])
        t = np.linspace(0, s[-1], n)
        return np.stack([np.interp(t, s, c[:, d]) for d in range(2)], 1)

    a = np.linspace(0, 2 * math.pi, 60)
    w = [(0, 0), (25, 100), (50, 40), (75, 100), (100, 0)]
    return [
        ("W", "W", poly(w)),
        ("W right to left", "W", poly(w[::-1])),
        ("W, 5 points", "W", poly(w, 5)),
        ("O anticlockwise from the top", "O", np.stack([50 - 50 * np.sin(a), 50 - 50 * np.cos(a)], 1)),
        ("O clockwise from the top", "O", np.stack([50 + 50 * np.sin(a), 50 - 50 * np.cos(a)], 1)),
        ("L", "L", poly([(0, 0), (0, 100), (60, 100)])),
        ("L, 3 points", "L", poly([(0, 0), (0, 100), (60, 100)], 3)),
        ("a line", "none", poly([(0, 0), (100, 30)])),
        ("V", "none", poly([(0, 0), (50, 100), (100, 0)])),
        ("Z", "none", poly([(0, 0), (100, 0), (0, 100), (100, 100)])),
    ]


# ---- Step 2, the model -----------------------------------------------------------------------

def make_model():
    """As the example: the raster's bytes 0..255 in, three stride-2 3x3 convolutions, then a
    dense layer (Flatten rather than the example's average pool: where the ink is matters)."""
    from tensorflow import keras

    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(len(LABELS), activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tinyml", default=pipeline.default_tinyml())
    args = ap.parse_args()

    pipeline.seed_everything(SEED)
    print("rasterising synthetic strokes")
    x_train, y_train = make_split("train", SEED * 1000 + 1)
    x_val, y_val = make_split("validation", SEED * 1000 + 2)
    x_test, y_test = make_split("test", SEED * 1000 + 3)
    as_float = lambda r: r.astype(np.float32) + 128  # noqa: E731  the raster's bytes, 0..255

    model = make_model()
    model.summary(print_fn=lambda s, **_: print(s))
    hist = model.fit(as_float(x_train), y_train, validation_data=(as_float(x_val), y_val),
                     epochs=EPOCHS, batch_size=BATCH, verbose=2).history
    pipeline.save_curves(hist, ["accuracy"], os.path.join(OUT, "curves.png"),
                         "magic wand: loss and accuracy (synthetic strokes)")

    # Step 3, evaluate on the test strokes (a seed of their own).
    keras_acc = float(model.evaluate(as_float(x_test), y_test, verbose=0)[1])

    # Step 4, convert; calibration on 1,000 training rasters (they hold bytes 0 and 255, so the
    # input comes out as the example's: scale 1, zero point -128, i.e. the int8 raster itself).
    float_tfl = pipeline.convert_float(model)
    int8_tfl = pipeline.convert_int8(model, as_float(x_train[:1000]))
    float_path = pipeline.write_model(OUT, "magic_wand_float.tflite", float_tfl)
    int8_path = pipeline.write_model(OUT, "magic_wand.tflite", int8_tfl)
    i_t = pipeline.inspect(args.tinyml, int8_path)["inputs"][0]
    assert i_t["zero_point"] == -128 and i_t["scale"] == 1.0, i_t

    float_pred = pipeline.TfliteRunner(float_tfl)(as_float(x_test)).argmax(1)
    int8_tflite_pred = pipeline.TfliteRunner(int8_tfl)(as_float(x_test)).argmax(1)
    int8_pred = pipeline.engine_run(args.tinyml, int8_path, x_test, len(LABELS), np.int8).argmax(1)
    acc = lambda p: round(float(np.mean(p == y_test)), 4)  # noqa: E731
    confusion = np.zeros((len(LABELS), len(LABELS)), int)
    for t, p in zip(y_test, int8_pred):
        confusion[t, p] += 1
    print(f"test accuracy: keras {keras_acc:.4f}  float {acc(float_pred):.4f}  "
          f"int8 (engine) {acc(int8_pred):.4f}  int8 (TF Lite) {acc(int8_tflite_pred):.4f}")
    print(confusion)

    # Clean, scripted drawings, as the page's own test draws them.
    clean = clean_drawings()
    rasters = np.stack([to_raster(points) for _, _, points in clean])
    clean_pred = pipeline.engine_run(args.tinyml, int8_path, rasters, len(LABELS), np.int8).argmax(1)
    clean_result = [{"drawing": name, "expected": want, "predicted": LABELS[int(p)]}
                    for (name, want, _), p in zip(clean, clean_pred)]
    print("clean drawings:", [(r["drawing"], r["predicted"]) for r in clean_result])

    # A picture of some test rasters, and one stroke with its raster for other implementations.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(4, 8, figsize=(10, 5.4))
    for ax, k in zip(axes.ravel(), range(32)):
        ax.imshow(x_test[k].astype(np.int16) + 128)
        ax.set_title(f"{LABELS[y_test[k]]} -> {LABELS[int8_pred[k]]}", fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "examples.png"), dpi=80)
    plt.close(fig)
    example = make_stroke("W", np.random.default_rng(SEED))
    q = rasterize.normalise(example)
    with open(os.path.join(OUT, "raster_example.json"), "w") as f:
        json.dump({
            "what": "a synthetic W as the page records it, the int8 points rasterize.normalise "
                    "makes of it, and the raster rasterize.rasterize makes of those "
                    "(int8, 32x32x3, row-major, channels last)",
            "pointer_points": [[round(float(a), 6), round(float(b), 6)] for a, b in example],
            "int8_points": q.tolist(),
            "raster": rasterize.rasterize([tuple(p) for p in q]).ravel().tolist(),
        }, f, separators=(",", ":"))
        f.write("\n")

    # Step 5, C array.
    pipeline.write_c_array(int8_tfl, OUT, "g_magic_wand_model_data")

    # Step 6, deploy: the card.
    pipeline.write_card(OUT, {
        "name": "magic_wand",
        "title": "Magic wand (gestures W, O, L)",
        "task": "classification: which gesture a 2-D stroke is",
        "default": "magic_wand.tflite",
        "labels": LABELS,
        "input": {
            "meaning": "the stroke rasterised as TFLM's magic_wand example does: 32x32x3 int8, "
                       "row-major (y down), channels last, background -128, each segment a 1-px "
                       "line whose colour encodes time (red->green over the first half of the "
                       "points, green->blue over the second)",
            "preprocessing": "int8 model: the raster as is (input scale 1, zero point -128); "
                             "float model: raster + 128 (bytes 0..255)",
            "stroke": {
                "points": "pointer positions in drawing order, x right, y down, any units",
                "normalise": "1. at most 160 points: if n > 160, keep indices floor(j * n / 160), "
                             "j = 0..159; 2. subtract the bounding box's centre, negate y (y up), "
                             "divide by the bounding box's longer side (0 extent: divide by 1); "
                             "3. each coordinate to int8 = clamp(round half away from zero "
                             "(v * 128), -128, 127)",
                "rasterise": "RasterizeStroke(points, count, x_range 0.6, y_range 0.6, 32, 32) of "
                             "tflite-micro-arduino-examples examples/magic_wand/rasterize_stroke.cpp, "
                             "32-bit integer, 20.12 fixed point, C division truncating toward zero",
                "reference": "models/magic_wand/rasterize.py (normalise, rasterize); checked "
                             "byte-for-byte against the C++ on random strokes when written; "
                             "raster_example.json is a worked example",
            },
        },
        "output": {
            "meaning": "softmax scores for the labels, in order",
            "postprocessing": "int8: p = (q - output.zero_point) * output.scale; the class is the argmax",
        },
        "evaluation": {
            "test_set": f"{PER_CLASS['test']} synthetic strokes a class from their own seed "
                        "(no augmentation of the normalised stroke)",
            "definition": "top-1 accuracy; int8 figures from our engine (`tinyml run`, bit-exact "
                          "with TFLM), accuracy_tflite from TensorFlow Lite's interpreter",
            "confusion_matrix": {"of": "magic_wand.tflite on our engine", "rows": "true label",
                                 "columns": "predicted label", "matrix": confusion.tolist()},
            "clean_drawings": {"what": "scripted drawings (clean_drawings in train.py) through "
                                       "normalise and rasterize, int8 on our engine",
                               "results": clean_result},
            "caveat": "synthetic strokes only: no recorded human gestures were available, so the "
                      "figure says how well the model separates the generator's classes, not how "
                      "it does on people's drawings",
        },
        "models": [
            pipeline.model_entry(args.tinyml, float_path, {
                "variant": "float32",
                "metrics": {"accuracy": acc(float_pred), "keras_accuracy": round(keras_acc, 4)}}),
            pipeline.model_entry(args.tinyml, int8_path, {
                "variant": "int8",
                "metrics": {"accuracy": acc(int8_pred), "accuracy_tflite": acc(int8_tflite_pred)}}),
        ],
        "curves_png": "curves.png",
        "c_array": {"of": "magic_wand.tflite", "files": ["model_data.cc", "model_data.h"],
                    "symbol": "g_magic_wand_model_data"},
        "training": pipeline.training_record(
            SEED,
            script="models/magic_wand/train.py",
            dataset="synthetic strokes (make_stroke in train.py): per class "
                    f"{PER_CLASS['train']} train, {PER_CLASS['validation']} validation, "
                    f"{PER_CLASS['test']} test; templates with random proportions, rotation "
                    "(sd 0.15 rad), shear (sd 0.12), corner rounding, reversed direction (W, L "
                    "20%, none 50%, O either way), speed profile (24-160 unevenly spaced points), "
                    "per-point jitter (up to 2% of size) and wobble (3%); training strokes also "
                    "rescaled 0.7-1.15 and moved +-0.08 after normalisation",
            architecture="Rescaling(1/255)-Conv3x3/2(16)-Conv3x3/2(32)-Conv3x3/2(32)-Flatten-"
                         "Dropout(0.3)-Dense(4, softmax), ReLU",
            optimizer="adam lr 1e-3",
            epochs=EPOCHS,
            batch_size=BATCH,
            quantization="full-integer int8, calibrated on 1,000 training rasters",
        ),
    })
    print("wrote", OUT)


if __name__ == "__main__":
    main()
