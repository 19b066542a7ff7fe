#!/usr/bin/env python3
"""digits: a small CNN that reads a handwritten digit, 28x28 grayscale (MNIST), int8.

    python models/digits/train.py [MNIST_DIR] [--tinyml target/release/tinyml]

MNIST_DIR holds t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz, the 10,000 real MNIST
test digits (default: ../shared/data/mnist beside the repository, or $TINYML_SHARED/data/mnist; the data
is never committed).
Without it, Keras's MNIST download is used, whose test half is the same 10,000 digits.

Split: every fifth digit (index % 5 == 0, 2,000 digits) is held out for the test figures;
the other 8,000 train (7,200) and validate (800). Training augments every epoch with shifts,
scale, rotation and stroke width (dilation/erosion), so that digits drawn with a mouse — thick,
flat strokes, not always centred — are recognised too.

Writes models/digits/: digits.tflite (int8), digits_float.tflite, model_data.cc/.h, card.json,
curves.png, confusion.png, drawn.png.
"""
import argparse
import gzip
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pipeline  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
SEED = 7
EPOCHS = 40
BATCH = 64
HOLDOUT_EVERY = 5  # held-out test split: index % 5 == 0
LABELS = [str(d) for d in range(10)]


def read_idx(path):
    """An IDX file (gzip'd or not) as a numpy array: magic 0x00 0x00 dtype ndim, sizes, data."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    assert data[0] == 0 and data[1] == 0 and data[2] == 0x08, f"{path}: not unsigned-byte IDX"
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(mnist_dir):
    """Step 1, data: the 10,000 MNIST test digits (uint8 28x28, ink 255 on 0) and labels."""
    images = os.path.join(mnist_dir, "t10k-images-idx3-ubyte.gz")
    labels = os.path.join(mnist_dir, "t10k-labels-idx1-ubyte.gz")
    if os.path.exists(images) and os.path.exists(labels):
        return read_idx(images), read_idx(labels), os.path.relpath(mnist_dir, pipeline.REPO_DIR)
    import tensorflow as tf

    print(f"{mnist_dir}: no MNIST IDX files; using Keras's MNIST download (its test half)")
    _, (x, y) = tf.keras.datasets.mnist.load_data()
    return x, y, "keras.datasets.mnist test half"


def split(x, y):
    held = np.arange(len(x)) % HOLDOUT_EVERY == 0
    return (x[~held], y[~held]), (x[held], y[held])


def make_augmenter():
    """Random shift, scale, rotation, then stroke width: each batch differently, every epoch.

    Stroke width: a 3x3 max filter (dilation) thickens a stroke by about 2 px, a 2x2 one by 1 px,
    a 2x2 min filter (erosion) thins it; a quarter, a sixth and a sixth of the digits get each.
    """
    import tensorflow as tf
    from tensorflow import keras

    geometry = keras.Sequential([
        keras.layers.RandomRotation(12 / 360, fill_mode="constant", seed=SEED),
        keras.layers.RandomZoom((-0.2, 0.25), fill_mode="constant", seed=SEED + 1),
        keras.layers.RandomTranslation(0.12, 0.12, fill_mode="constant", seed=SEED + 2),
    ])
    gen = tf.random.Generator.from_seed(SEED)

    def augment(x, y):
        x = geometry(x, training=True)
        r = gen.uniform([tf.shape(x)[0], 1, 1, 1])
        dil3 = tf.nn.max_pool2d(x, 3, 1, "SAME")
        dil2 = tf.nn.max_pool2d(x, 2, 1, "SAME")
        ero2 = -tf.nn.max_pool2d(-x, 2, 1, "SAME")
        x = tf.where(r < 0.25, dil3, tf.where(r < 0.42, dil2, tf.where(r < 0.58, ero2, x)))
        return tf.clip_by_value(x, 0.0, 1.0), y

    return augment


def make_model():
    """Three 3x3 convolutions with max pooling, then one dense layer: ~17k weights."""
    from tensorflow import keras

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def preprocess_drawing(ink):
    """A drawing (2-D array, ink > 0 on 0, any size) to the model's 28x28, as MNIST was made:
    crop to the ink's bounding box, resize (area) so the longer side is 20 px keeping the aspect,
    place in a 28x28 frame with the ink's centre of mass at (14, 14) (rounded, clipped).
    Returns uint8 pixels 0..255 (int8 input = pixel - 128)."""
    from PIL import Image

    ink = np.asarray(ink, dtype=np.float32)
    ys, xs = np.nonzero(ink > 0)
    if len(xs) == 0:
        return np.zeros((28, 28), np.uint8)
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = crop.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    img = Image.fromarray(np.clip(crop, 0, 255).astype(np.uint8)).resize((nw, nh), Image.BOX)
    small = np.asarray(img, dtype=np.float32)
    total = small.sum()
    cy = (small.sum(axis=1) * np.arange(nh)).sum() / total
    cx = (small.sum(axis=0) * np.arange(nw)).sum() / total
    top, left = int(round(14 - cy)), int(round(14 - cx))
    top, left = min(max(top, 0), 28 - nh), min(max(left, 0), 28 - nw)
    out = np.zeros((28, 28), np.float32)
    out[top:top + nh, left:left + nw] = small
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


# Digits drawn as a person draws them with a mouse: polylines in a 0..1 box, one list a stroke.
DRAWN = {
    0: [[(0.5, 0.05), (0.2, 0.2), (0.12, 0.5), (0.2, 0.8), (0.5, 0.95), (0.8, 0.8), (0.88, 0.5),
         (0.8, 0.2), (0.5, 0.05)]],
    1: [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)]],
    2: [[(0.2, 0.25), (0.4, 0.07), (0.7, 0.08), (0.8, 0.3), (0.6, 0.55), (0.2, 0.93), (0.85, 0.93)]],
    3: [[(0.2, 0.1), (0.75, 0.1), (0.45, 0.45), (0.75, 0.6), (0.75, 0.85), (0.5, 0.95),
         (0.2, 0.88)]],
    4: [[(0.6, 0.05), (0.15, 0.65), (0.85, 0.65)], [(0.65, 0.35), (0.65, 0.95)]],
    5: [[(0.8, 0.07), (0.3, 0.07), (0.25, 0.45), (0.6, 0.4), (0.8, 0.6), (0.7, 0.88), (0.4, 0.95),
         (0.2, 0.85)]],
    6: [[(0.7, 0.05), (0.35, 0.35), (0.22, 0.7), (0.4, 0.93), (0.7, 0.88), (0.75, 0.62),
         (0.5, 0.5), (0.27, 0.62)]],
    7: [[(0.15, 0.08), (0.85, 0.08), (0.45, 0.95)]],
    8: [[(0.5, 0.5), (0.25, 0.3), (0.5, 0.05), (0.75, 0.3), (0.5, 0.5), (0.22, 0.72), (0.5, 0.95),
         (0.78, 0.72), (0.5, 0.5)]],
    9: [[(0.75, 0.35), (0.5, 0.5), (0.27, 0.35), (0.4, 0.07), (0.72, 0.12), (0.75, 0.35),
         (0.7, 0.95)]],
}


def drawn_digits(canvas=280, width=18):
    """The DRAWN digits rendered on a canvas with a round brush, then preprocess_drawing."""
    from PIL import Image, ImageDraw

    out = []
    for digit, strokes in DRAWN.items():
        img = Image.new("L", (canvas, canvas), 0)
        d = ImageDraw.Draw(img)
        for stroke in strokes:
            pts = [(30 + x * (canvas - 60), 20 + y * (canvas - 40)) for x, y in stroke]
            d.line(pts, fill=255, width=width, joint="curve")
            for x, y in pts:
                d.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
        out.append((digit, preprocess_drawing(np.asarray(img))))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mnist_dir", nargs="?",
                    default=os.path.join(pipeline.shared_dir(), "data", "mnist"))
    ap.add_argument("--tinyml", default=pipeline.default_tinyml())
    args = ap.parse_args()

    import tensorflow as tf

    pipeline.seed_everything(SEED)
    x_all, y_all, source = load_mnist(os.path.normpath(args.mnist_dir))
    (x_rest, y_rest), (x_test, y_test) = split(x_all, y_all)
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(x_rest))
    n_val = len(x_rest) // 10
    val_idx, train_idx = order[:n_val], order[n_val:]
    f32 = lambda a: (a.astype(np.float32) / 255.0)[..., None]  # noqa: E731  input: pixel / 255
    x_train, y_train = f32(x_rest[train_idx]), y_rest[train_idx]
    x_val, y_val = f32(x_rest[val_idx]), y_rest[val_idx]
    print(f"train {len(x_train)}, validation {len(x_val)}, held-out test {len(x_test)}")

    # Step 2, train, augmenting every batch.
    train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
                .shuffle(len(x_train), seed=SEED).batch(BATCH).map(make_augmenter()))
    model = make_model()
    model.summary(print_fn=lambda s, **_: print(s))
    schedule = tf.keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=4, min_lr=1e-5)
    hist = model.fit(train_ds, validation_data=(x_val, y_val), epochs=EPOCHS, callbacks=[schedule],
                     verbose=2).history
    pipeline.save_curves(hist, ["accuracy"], os.path.join(OUT, "curves.png"),
                         "digits: loss and accuracy (train is augmented)")

    # Step 3, evaluate on the held-out digits.
    keras_acc = float(model.evaluate(f32(x_test), y_test, verbose=0)[1])

    # Step 4, convert. Calibration: 1,000 training digits, half of them augmented, so the
    # activation ranges cover thick strokes too.
    aug = make_augmenter()
    calib = np.concatenate([x_train[:500], aug(x_train[500:1000], y_train[500:1000])[0].numpy()])
    float_tfl = pipeline.convert_float(model)
    int8_tfl = pipeline.convert_int8(model, calib)
    float_path = pipeline.write_model(OUT, "digits_float.tflite", float_tfl)
    int8_path = pipeline.write_model(OUT, "digits.tflite", int8_tfl)

    float_pred = pipeline.TfliteRunner(float_tfl)(f32(x_test)).argmax(1)
    int8_tflite_pred = pipeline.TfliteRunner(int8_tfl)(f32(x_test)).argmax(1)
    # The card's int8 figure: our engine (bit-exact with TFLM), input = pixel - 128. That holds
    # because calibration saw pixels 0 and 255: input scale 1/255, zero point -128.
    i_t = pipeline.inspect(args.tinyml, int8_path)["inputs"][0]
    assert i_t["zero_point"] == -128 and abs(i_t["scale"] * 255 - 1) < 1e-6, i_t
    q = (x_test.astype(np.int16) - 128).astype(np.int8)[..., None]
    int8_pred = pipeline.engine_run(args.tinyml, int8_path, q, 10, np.int8).argmax(1)
    acc = lambda p: round(float(np.mean(p == y_test)), 4)  # noqa: E731
    confusion = np.zeros((10, 10), int)
    for t, p in zip(y_test, int8_pred):
        confusion[t, p] += 1
    print(f"held-out accuracy: keras {keras_acc:.4f}  float {acc(float_pred):.4f}  "
          f"int8 (engine) {acc(int8_pred):.4f}  int8 (TF Lite) {acc(int8_tflite_pred):.4f}")
    print(confusion)

    # Mouse-like drawings through the page's preprocessing.
    drawn = drawn_digits()
    dq = np.stack([(img.astype(np.int16) - 128).astype(np.int8)[..., None] for _, img in drawn])
    drawn_pred = pipeline.engine_run(args.tinyml, int8_path, dq, 10, np.int8).argmax(1)
    drawn_ok = int(sum(int(p) == d for (d, _), p in zip(drawn, drawn_pred)))
    print("drawn digits:", [int(p) for p in drawn_pred], f"{drawn_ok}/10")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.imshow(confusion, cmap="Blues")
    for t in range(10):
        for p in range(10):
            ax.text(p, t, confusion[t, p], ha="center", va="center", fontsize=7,
                    color="white" if confusion[t, p] > confusion.max() / 2 else "black")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted (int8, our engine)")
    ax.set_ylabel("true")
    ax.set_title(f"held-out MNIST, {len(x_test)} digits: {acc(int8_pred):.2%}")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "confusion.png"), dpi=90)
    plt.close(fig)
    fig, axes = plt.subplots(1, 10, figsize=(12, 1.7))
    for ax, (d, img), p in zip(axes, drawn, drawn_pred):
        ax.imshow(img, cmap="gray")
        ax.set_title(f"{d} -> {p}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "drawn.png"), dpi=90)
    plt.close(fig)

    # Step 5, C array.
    pipeline.write_c_array(int8_tfl, OUT, "g_digits_model_data")

    # Step 6, deploy: the card.
    test_split = {
        "source": "MNIST t10k (the 10,000 MNIST test digits), IDX files t10k-images-idx3-ubyte.gz "
                  "and t10k-labels-idx1-ubyte.gz",
        "rule": f"index % {HOLDOUT_EVERY} == 0",
        "samples": int(len(x_test)),
    }
    pipeline.write_card(OUT, {
        "name": "digits",
        "title": "Handwritten digits (MNIST CNN)",
        "task": "classification: which digit 0-9 a 28x28 grayscale image shows",
        "default": "digits.tflite",
        "labels": LABELS,
        "input": {
            "meaning": "28x28x1 grayscale, white ink (255) on black (0), as in MNIST",
            "preprocessing": "int8 model: q = pixel - 128 (scale 1/255, zero point -128, so pixel/255 "
                             "is the float the network was trained on); float model: pixel / 255",
            "drawing": "for a drawing: ink > 0 on 0; crop to the ink's bounding box; resize (area "
                       "average) so the longer side is 20 px keeping the aspect ratio; place in a "
                       "28x28 black frame so that the ink's centre of mass falls on (14, 14), "
                       "rounded, clipped to the frame (preprocess_drawing in models/digits/train.py)",
        },
        "output": {
            "meaning": "softmax scores for the labels, in order",
            "postprocessing": "int8: p = (q - output.zero_point) * output.scale; the class is the argmax",
        },
        "evaluation": {
            "held_out": test_split,
            "definition": "top-1 accuracy on the held-out split; int8 figures from our engine "
                          "(`tinyml run`, bit-exact with TFLM), accuracy_tflite from TensorFlow "
                          "Lite's interpreter",
            "confusion_matrix": {"of": "digits.tflite on our engine", "rows": "true label",
                                 "columns": "predicted label", "matrix": confusion.tolist()},
            "drawn_digits": {"what": "ten mouse-like drawings (DRAWN in train.py, 18 px round brush "
                                     "on 280x280) through the drawing preprocessing, int8 on our engine",
                             "predicted": [int(p) for p in drawn_pred], "correct": drawn_ok},
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
        "c_array": {"of": "digits.tflite", "files": ["model_data.cc", "model_data.h"],
                    "symbol": "g_digits_model_data"},
        "training": pipeline.training_record(
            SEED,
            script="models/digits/train.py",
            dataset=f"{source}: the 8,000 digits not held out, 90% train / 10% validation "
                    "(numpy default_rng(seed) permutation)",
            augmentation="every batch: rotation +-12 deg, zoom -20%..+25%, translation +-12% "
                         "(Keras RandomRotation/RandomZoom/RandomTranslation, constant fill), then "
                         "stroke width: 25% dilated 3x3, 17% dilated 2x2, 16% eroded 2x2",
            architecture="Conv3x3(16)-MaxPool-Conv3x3(32)-MaxPool-Conv3x3(32)-MaxPool-Flatten-"
                         "Dropout(0.3)-Dense(10, softmax)",
            optimizer="adam lr 1e-3, halved when validation loss stalls 4 epochs",
            epochs=EPOCHS,
            batch_size=BATCH,
            quantization="full-integer int8, calibrated on 1,000 training digits (500 augmented)",
        ),
    })
    print("wrote", OUT)


if __name__ == "__main__":
    main()
