#!/usr/bin/env python3
"""sine: the TinyML "hello world" — a tiny network that learns y = sin(x) on [0, 2pi].

Two networks, as in the TinyML book: one hidden layer of 16 (it underfits: a ReLU net that
narrow draws a coarse polyline) and two hidden layers of 16. Each is converted to float32 and
to full-integer int8, and each is scored by its mean absolute error against the true sin(x)
over a 1,000-point grid on [0, 2pi].

    python models/sine/train.py [--tinyml target/release/tinyml]

Writes models/sine/: sine.tflite (int8, 2x16, the one the page and the C array use),
sine_float.tflite, sine_1x16.tflite, sine_1x16_float.tflite, model_data.cc/.h, card.json,
curves_*.png and predictions.png.
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pipeline  # noqa: E402

OUT = os.path.dirname(os.path.abspath(__file__))
SEED = 1
SAMPLES = 1000
NOISE = 0.1
EPOCHS = 500
BATCH = 64
GRID = 1000  # evaluation points, linspace(0, 2pi, GRID)


def make_data(rng):
    """Step 1, data: x uniform on [0, 2pi], y = sin(x) + Gaussian noise (sd 0.1); 60/20/20."""
    x = rng.uniform(0, 2 * math.pi, SAMPLES).astype(np.float32)
    y = (np.sin(x) + NOISE * rng.standard_normal(SAMPLES)).astype(np.float32)
    n_train, n_val = int(0.6 * SAMPLES), int(0.2 * SAMPLES)
    return (
        (x[:n_train], y[:n_train]),
        (x[n_train:n_train + n_val], y[n_train:n_train + n_val]),
        (x[n_train + n_val:], y[n_train + n_val:]),
    )


def make_model(hidden):
    import tensorflow as tf

    layers = [tf.keras.Input(shape=(1,))]
    layers += [tf.keras.layers.Dense(h, activation="relu") for h in hidden]
    layers += [tf.keras.layers.Dense(1)]
    model = tf.keras.Sequential(layers)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tinyml", default=pipeline.default_tinyml(),
                    help="our CLI, to read the arena size and score int8 on our engine")
    args = ap.parse_args()

    pipeline.seed_everything(SEED)
    rng = np.random.default_rng(SEED)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = make_data(rng)
    grid = np.linspace(0, 2 * math.pi, GRID).astype(np.float32)
    truth = np.sin(grid)

    variants = [
        # (hidden layers, int8 file, float file)
        ((16,), "sine_1x16.tflite", "sine_1x16_float.tflite"),
        ((16, 16), "sine.tflite", "sine_float.tflite"),
    ]
    entries = []
    curves = {}
    int8_for_c_array = None
    for hidden, int8_name, float_name in variants:
        tag = "x".join(str(h) for h in hidden) if len(set(hidden)) > 1 else f"{len(hidden)}x{hidden[0]}"
        print(f"== {tag}: train")
        # Step 2, train: Adam on mean squared error, validation loss watched per epoch.
        model = make_model(hidden)
        hist = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS,
                         batch_size=BATCH, verbose=0).history
        png = f"curves_{tag}.png"
        pipeline.save_curves(hist, ["mae"], os.path.join(OUT, png),
                             f"sine, {len(hidden)} hidden layer(s) of 16")

        # Step 3, evaluate on the held-out test split and against the true sin(x).
        test_loss, test_mae = model.evaluate(x_test, y_test, verbose=0)
        keras_pred = model.predict(grid[:, None], verbose=0)[:, 0]

        # Step 4, convert: float32 and full-integer int8 (calibrated on the training x's).
        float_tfl = pipeline.convert_float(model)
        int8_tfl = pipeline.convert_int8(model, x_train[:, None])
        float_path = pipeline.write_model(OUT, float_name, float_tfl)
        int8_path = pipeline.write_model(OUT, int8_name, int8_tfl)
        if hidden == (16, 16):
            int8_for_c_array = int8_tfl

        float_pred = pipeline.TfliteRunner(float_tfl)(grid[:, None])[:, 0]
        int8_pred_tflite = pipeline.TfliteRunner(int8_tfl)(grid[:, None])[:, 0]

        # The int8 figure the card states is computed on our engine (bit-exact with TFLM), so
        # that CI can recompute it exactly; TensorFlow Lite's own is kept beside it.
        info = pipeline.inspect(args.tinyml, int8_path)
        i_t, o_t = info["inputs"][0], info["outputs"][0]
        q = np.clip(np.round(grid / i_t["scale"]) + i_t["zero_point"], -128, 127).astype(np.int8)
        raw = pipeline.engine_run(args.tinyml, int8_path, q[:, None], 1, np.int8)[:, 0]
        int8_pred = (raw.astype(np.float32) - o_t["zero_point"]) * np.float32(o_t["scale"])

        mae = lambda p: round(float(np.mean(np.abs(p - truth))), 6)  # noqa: E731
        print(f"   keras MAE vs sin {mae(keras_pred):.4f}  float {mae(float_pred):.4f}  "
              f"int8 (engine) {mae(int8_pred):.4f}  int8 (TF Lite) {mae(int8_pred_tflite):.4f}")
        curves[tag] = (float_pred, int8_pred)
        common = {"hidden_layers": list(hidden), "curves_png": png,
                  "test_split": {"samples": len(x_test), "mse_vs_noisy_y": round(float(test_loss), 6),
                                 "mae_vs_noisy_y": round(float(test_mae), 6)}}
        entries.append(pipeline.model_entry(args.tinyml, float_path, {
            **common, "variant": "float32",
            "metrics": {"mae_vs_sin": mae(float_pred), "keras_mae_vs_sin": mae(keras_pred)}}))
        entries.append(pipeline.model_entry(args.tinyml, int8_path, {
            **common, "variant": "int8",
            "metrics": {"mae_vs_sin": mae(int8_pred), "mae_vs_sin_tflite": mae(int8_pred_tflite)}}))

    # A picture of what the page shows: model vs sin(x), float and int8.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(grid, truth, "k", lw=2, label="sin(x)")
    ax.scatter(x_test, y_test, s=4, c="lightgray", label="test data (noisy)")
    for tag, (fp, ip) in curves.items():
        ax.plot(grid, fp, label=f"{tag} float")
        ax.plot(grid, ip, "--", label=f"{tag} int8")
    ax.legend(fontsize=8)
    ax.set_xlabel("x")
    fig.tight_layout()
    fig.savefig(os.path.join(OUT, "predictions.png"), dpi=90)
    plt.close(fig)

    # Step 5, the C array of the model a microcontroller would run.
    pipeline.write_c_array(int8_for_c_array, OUT, "g_sine_model_data")

    # Step 6, deploy: the card the playground and CI read.
    pipeline.write_card(OUT, {
        "name": "sine",
        "title": "Sine (hello world)",
        "task": "regression: y = sin(x) for x in [0, 2pi]",
        "default": "sine.tflite",
        "input": {
            "meaning": "x, a float in [0, 2pi] (radians)",
            "preprocessing": "int8 models: q = clamp(round(x / input.scale) + input.zero_point, -128, 127); "
                             "float models: x as float32",
        },
        "output": {
            "meaning": "y, the model's estimate of sin(x)",
            "postprocessing": "int8 models: y = (q - output.zero_point) * output.scale",
        },
        "labels": None,
        "evaluation": {
            "metric": "mae_vs_sin",
            "definition": f"mean |model(x) - sin(x)| over x = linspace(0, 2pi, {GRID}) (float32, "
                          "endpoints included); int8 figures from our engine (`tinyml run`, "
                          "bit-exact with TFLM), mae_vs_sin_tflite from TensorFlow Lite's interpreter",
            "grid_points": GRID,
        },
        "models": entries,
        "c_array": {"of": "sine.tflite", "files": ["model_data.cc", "model_data.h"],
                    "symbol": "g_sine_model_data"},
        "training": pipeline.training_record(
            SEED,
            script="models/sine/train.py",
            dataset=f"{SAMPLES} points, x uniform on [0, 2pi], y = sin(x) + N(0, {NOISE}^2); "
                    "split 60/20/20 train/validation/test (numpy default_rng(seed))",
            optimizer="adam (Keras defaults), loss mse",
            epochs=EPOCHS,
            batch_size=BATCH,
            quantization="full-integer int8 (TFLITE_BUILTINS_INT8, int8 input and output), "
                         "calibrated on the 600 training x values",
        ),
    })
    print("wrote", OUT)


if __name__ == "__main__":
    main()
