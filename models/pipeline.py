"""The steps every training script shares, one function a step of the TinyML flow.

    get data -> train -> evaluate -> convert (float, int8) -> C array -> deploy (card + files)

Each `models/<name>/train.py` does its own data and model, and calls these for the rest, so the
flow reads top to bottom in that script. Nothing here is run by CI: CI checks the files these
functions write (`models/check_cards.py`).
"""
import datetime
import json
import os
import random
import shlex
import subprocess
import sys

import numpy as np

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) hides the script's own lines.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(MODELS_DIR)


def seed_everything(seed):
    """Fixed seeds and deterministic TF kernels, so that a rerun gives the same weights."""
    import tensorflow as tf

    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def save_curves(history, metrics, path, title):
    """Training curves (loss and the given metrics, train and validation) as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["loss", *metrics]
    fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6))
    for ax, key in zip(np.atleast_1d(axes), keys):
        ax.plot(history[key], label="train")
        if "val_" + key in history:
            ax.plot(history["val_" + key], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _converter(model):
    """A converter for the model rebuilt at batch size 1: with every shape static, Keras's
    dynamic-batch reshapes (Flatten) fold to constants instead of leaving SHAPE ops for the
    microcontroller. The layers (and so the weights) are the trained model's own."""
    import tensorflow as tf

    inp = tf.keras.Input(batch_shape=(1, *model.input_shape[1:]))
    x = inp
    for layer in model.layers:
        x = layer(x)
    return tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, x))


def convert_float(model):
    """The Keras model as a float32 .tflite flatbuffer."""
    return _converter(model).convert()


def convert_int8(model, representative):
    """Full-integer int8 .tflite: int8 weights, activations, input and output.

    `representative` is an array of float inputs (first axis: samples) that spans the range the
    model will see; the converter calibrates every activation's scale and zero point on it.
    """
    import tensorflow as tf

    def samples():
        for x in representative:
            yield [np.asarray(x[None, ...], dtype=np.float32)]

    converter = _converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = samples
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


class TfliteRunner:
    """Runs a .tflite with TensorFlow Lite's interpreter, quantizing and dequantizing at the edges."""

    def __init__(self, content):
        import tensorflow as tf

        self.interp = tf.lite.Interpreter(model_content=content)
        self.interp.allocate_tensors()
        self.inp = self.interp.get_input_details()[0]
        self.out = self.interp.get_output_details()[0]

    def __call__(self, xs):
        """Float outputs for a batch of float inputs (one invoke per sample)."""
        scale, zp = self.inp["quantization"]
        ys = []
        for x in xs:
            x = np.asarray(x, dtype=np.float32)[None, ...]
            if self.inp["dtype"] == np.int8:
                x = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
            self.interp.set_tensor(self.inp["index"], x)
            self.interp.invoke()
            ys.append(self.interp.get_tensor(self.out["index"])[0])
        ys = np.array(ys)
        if self.out["dtype"] == np.int8:
            oscale, ozp = self.out["quantization"]
            ys = (ys.astype(np.float32) - ozp) * oscale
        return ys


def engine_run(tinyml, model_path, inputs, out_bytes_each, out_dtype):
    """Our engine (`tinyml run`): k raw input tensors in, k output tensors out (one process)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
        np.ascontiguousarray(inputs).tofile(src)
        subprocess.run([tinyml, "run", model_path, "--input", src, "--output", dst], check=True)
        out = np.fromfile(dst, dtype=out_dtype)
    return out.reshape(len(inputs), -1)


def inspect(tinyml, model_path):
    """`tinyml inspect --json`: shapes, quantization, ops and the arena our engine needs."""
    out = subprocess.run([tinyml, "inspect", model_path, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def tensor_card(t):
    """What a card says about one input or output tensor."""
    return {
        "shape": t["shape"],
        "dtype": t["dtype"].lower(),
        "scale": t.get("scale"),
        "zero_point": t.get("zero_point"),
    }


def model_entry(tinyml, path, extra):
    """One model file's card entry, read back from the file through our engine."""
    info = inspect(tinyml, path)
    entry = {
        "file": os.path.basename(path),
        "bytes": os.path.getsize(path),
        "ops": sorted({op["op"] for op in info["ops"]}),
        "arena_bytes": info["arena_bytes"],
        "input": tensor_card(info["inputs"][0]),
        "output": tensor_card(info["outputs"][0]),
    }
    entry.update(extra)
    return entry


def write_c_array(content, out_dir, symbol):
    """`model_data.cc` and `model_data.h`: the flatbuffer as a 16-byte-aligned C array, like
    `xxd -i` (12 bytes a line), ready to compile into firmware."""
    header = (
        "// Generated by models/pipeline.py (write_c_array); do not edit.\n"
        "#ifndef MODEL_DATA_H_\n#define MODEL_DATA_H_\n\n"
        f"extern const unsigned char {symbol}[];\n"
        f"extern const unsigned int {symbol}_len;\n\n"
        "#endif  // MODEL_DATA_H_\n"
    )
    lines = []
    for i in range(0, len(content), 12):
        lines.append("  " + ", ".join(f"0x{b:02x}" for b in content[i:i + 12]))
    source = (
        "// Generated by models/pipeline.py (write_c_array); do not edit.\n"
        '#include "model_data.h"\n\n'
        "// Aligned to 16 bytes: TFLM reads the flatbuffer in place, and some kernels (CMSIS-NN)\n"
        "// want aligned weights.\n"
        f"alignas(16) const unsigned char {symbol}[] = {{\n"
        + ",\n".join(lines)
        + "\n};\n"
        f"const unsigned int {symbol}_len = {len(content)};\n"
    )
    with open(os.path.join(out_dir, "model_data.h"), "w") as f:
        f.write(header)
    with open(os.path.join(out_dir, "model_data.cc"), "w") as f:
        f.write(source)


def training_record(seed, **extra):
    """How the model was made: the exact command, seed, versions and date."""
    import tensorflow as tf

    argv = [os.path.relpath(os.path.abspath(sys.argv[0]), REPO_DIR), *sys.argv[1:]]
    record = {
        "command": "python " + " ".join(shlex.quote(a) for a in argv),
        "seed": seed,
        "date": datetime.date.today().isoformat(),
        "tensorflow": tf.__version__,
        "requirements": "models/requirements.txt",
    }
    record.update(extra)
    return record


def write_card(out_dir, card):
    with open(os.path.join(out_dir, "card.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")


def write_model(out_dir, name, content):
    path = os.path.join(out_dir, name)
    with open(path, "wb") as f:
        f.write(content)
    return path


def shared_dir():
    """The project's shared test data: $TINYML_SHARED, else ../shared beside the repository."""
    return os.environ.get("TINYML_SHARED") or os.path.join(REPO_DIR, "..", "shared")


def default_tinyml():
    return os.path.join(REPO_DIR, "target", "release", "tinyml")
