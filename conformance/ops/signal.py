"""TFLM Signal library custom ops, one op a model: SignalWindow, SignalFftAutoScale,
SignalRfft (int16, int32, float32; FFT lengths whose halves factor into 2, 3, 4, 5; frames
shorter than the FFT; several frames), SignalEnergy, SignalFilterBank,
SignalFilterBankSquareRoot, SignalFilterBankSpectralSubtraction (state carried across
invocations), SignalPCAN and SignalFilterBankLog, with their options written as FlexBuffer maps
as TFLM's converter writes them.

The whole front end (TFLM's audio_preprocessor_int8.tflite) on real speech is
conformance/audio_preprocessor.py."""
import numpy as np

from opbuilder import Graph

T_CODES = {"INT16": 7, "INT32": 2, "FLOAT32": 0}


def one_op(name, inputs, outputs, options, graph):
    graph.op(name, inputs, outputs, custom=options)
    return graph.build()


def window_case(rng, shape, window, shift):
    g = Graph()
    x = g.tensor("INT16", shape)
    w = g.const("INT16", [window], rng.integers(-32768, 32768, window))
    y = g.tensor("INT16", shape)
    g.inputs, g.outputs = [x], [y]
    return one_op("SignalWindow", [x, w], [y], {"shift": shift}, g)


def auto_scale_case(n, pre_shift=None):
    """FftAutoScale of the input, or of the input shifted right first (so the maximum is
    small and the scale large)."""
    g = Graph()
    x = g.tensor("INT16", [n])
    src = x
    if pre_shift is not None:
        # int16 values to int32, divided down, back to int16: a quiet signal.
        a = g.tensor("INT32", [n])
        g.op("CAST", [x], [a])
        d = g.const("INT32", [], [1 << pre_shift])
        b = g.tensor("INT32", [n])
        g.op("DIV", [a, d], [b], options=("DivOptions", dict(fusedActivationFunction=0)))
        src = g.tensor("INT16", [n])
        g.op("CAST", [b], [src])
    y = g.tensor("INT16", [n])
    s = g.tensor("INT32", [])
    g.inputs, g.outputs = [x], [y, s]
    return one_op("SignalFftAutoScale", [src], [y, s], {}, g)


def rfft_case(dtype, fft_length, frame, frames, scale=None):
    g = Graph()
    shape = [frames, frame] if frames > 1 else [frame]
    x = g.tensor(dtype, shape)
    src = x
    if scale is not None:
        # Spread int32 inputs (+-1000) over the 32-bit range.
        k = g.const(dtype, [], [scale])
        src = g.tensor(dtype, shape)
        g.op("MUL", [x, k], [src], options=("MulOptions", dict(fusedActivationFunction=0)))
    out_shape = [frames, fft_length + 2] if frames > 1 else [fft_length + 2]
    y = g.tensor(dtype, out_shape)
    g.inputs, g.outputs = [x], [y]
    return one_op("SignalRfft", [src], [y], {"T": T_CODES[dtype], "fft_length": fft_length}, g)


def rfft_square_case(dtype, fft_length, period, amplitude):
    """RFFT of a full-scale square wave (plus the input divided down to a little noise): its
    fundamental bin exceeds the scalar range before KISS FFT's final halving, where 16-bit C
    sums in int and 32-bit ones wrap."""
    g = Graph()
    x = g.tensor(dtype, [fft_length])
    wide = x
    if dtype == "INT16":
        wide = g.tensor("INT32", [fft_length])
        g.op("CAST", [x], [wide])
    d = g.const("INT32", [], [4096 if dtype == "INT16" else 1 << 20])
    noise = g.tensor("INT32", [fft_length])
    g.op("DIV", [wide, d], [noise], options=("DivOptions", dict(fusedActivationFunction=0)))
    wave = np.where((np.arange(fft_length) // (period // 2)) % 2 == 0, amplitude, -amplitude)
    sq = g.const("INT32", [fft_length], wave)
    mixed = g.tensor("INT32", [fft_length])
    g.op("ADD", [noise, sq], [mixed], options=("AddOptions", dict(fusedActivationFunction=0)))
    src = mixed
    if dtype == "INT16":
        src = g.tensor("INT16", [fft_length])
        g.op("CAST", [mixed], [src], version=1)
    y = g.tensor(dtype, [fft_length + 2])
    g.inputs, g.outputs = [x], [y]
    return one_op("SignalRfft", [src], [y], {"T": T_CODES[dtype], "fft_length": fft_length}, g)


def energy_case(bins):
    g = Graph()
    x = g.tensor("INT16", [2 * bins])
    y = g.tensor("UINT32", [bins])
    g.inputs, g.outputs = [x], [y]
    return one_op("SignalEnergy", [x], [y], {"end_index": bins, "start_index": 0}, g)


def filter_bank_tables(rng, bins, channels):
    """Channel tables like TFLM's mel filterbank: contiguous bands, each bin weighted into one
    channel and its complement into the next."""
    edges = np.sort(rng.choice(np.arange(1, bins - 1), channels + 1, replace=False))
    edges = np.concatenate([[0], edges])
    starts, wstarts, widths = [], [], []
    k = 0
    for c in range(channels + 1):
        lo, hi = int(edges[c]), int(edges[c + 1]) if c + 1 < len(edges) else bins
        starts.append(lo)
        wstarts.append(k)
        widths.append(hi - lo)
        k += hi - lo
    weights = rng.integers(0, 4096, k)
    unweights = 4096 - weights
    # A few negative weights: TFLM converts them to uint64, so products wrap.
    weights[rng.integers(0, k, 3)] = -rng.integers(1, 4096, 3)
    return starts, wstarts, widths, weights, unweights


def filter_bank_case(rng, bins, channels, outputs):
    g = Graph()
    starts, wstarts, widths, weights, unweights = filter_bank_tables(rng, bins, channels)
    x = g.tensor("UINT32", [bins])
    w = g.const("INT16", [len(weights)], weights)
    uw = g.const("INT16", [len(unweights)], unweights)
    fs = g.const("INT16", [channels + 1], starts)
    ws = g.const("INT16", [channels + 1], wstarts)
    cw = g.const("INT16", [channels + 1], widths)
    y = g.tensor("UINT64", [outputs])
    g.inputs, g.outputs = [x], [y]
    return one_op("SignalFilterBank", [x, w, uw, fs, ws, cw], [y], {"num_channels": channels}, g)


def sqrt_case(n, shift):
    g = Graph()
    x = g.tensor("UINT64", [n])
    s = g.const("INT32", [], [shift])
    y = g.tensor("UINT32", [n])
    g.inputs, g.outputs = [x], [y]
    return one_op("SignalFilterBankSquareRoot", [x, s], [y], {}, g)


def subtraction_case(n, **overrides):
    opts = {
        "alternate_one_minus_smoothing": 15401, "alternate_smoothing": 983, "clamping": False,
        "min_signal_remaining": 819, "num_channels": n, "one_minus_smoothing": 15975,
        "smoothing": 409, "smoothing_bits": 10, "spectral_subtraction_bits": 14,
    }
    opts.update(overrides)
    g = Graph()
    x = g.tensor("UINT32", [n])
    y = g.tensor("UINT32", [n])
    noise = g.tensor("UINT32", [n])
    g.inputs, g.outputs = [x], [y, noise]
    return one_op("SignalFilterBankSpectralSubtraction", [x], [y, noise], opts, g)


def pcan_case(rng, n, snr_shift):
    g = Graph()
    x = g.tensor("UINT32", [n])
    noise = g.tensor("UINT32", [n])
    lut = g.const("INT16", [125], rng.integers(-2000, 8000, 125))
    y = g.tensor("UINT32", [n])
    g.inputs, g.outputs = [x, noise], [y]
    return one_op("SignalPCAN", [x, noise, lut], [y], {"snr_shift": snr_shift}, g)


def log_case(n, correction, scale):
    g = Graph()
    x = g.tensor("UINT32", [n])
    y = g.tensor("INT16", [n])
    g.inputs, g.outputs = [x], [y]
    return one_op("SignalFilterBankLog", [x], [y],
                  {"input_correction_bits": correction, "output_scale": scale}, g)


def cases(rng):
    out = []
    for shape, window, shift in [([480], 480, 12), ([1, 480], 480, 12), ([3, 40], 40, 0),
                                 ([2, 2, 16], 16, 15), ([64], 32, 31), ([7], 7, 3)]:
        out.append((f"window_{'x'.join(map(str, shape))}_w{window}_s{shift}",
                    window_case(rng, shape, window, shift)))
    out.append(("auto_scale_480", auto_scale_case(480)))
    out.append(("auto_scale_17", auto_scale_case(17)))
    for pre in [4, 9, 14]:
        out.append((f"auto_scale_quiet{pre}", auto_scale_case(256, pre)))
    for dtype in ["INT16", "INT32", "FLOAT32"]:
        scale = (1 << 21) if dtype == "INT32" else None
        for fft_length, frame, frames in [(512, 480, 1), (512, 512, 1), (64, 50, 3), (8, 8, 1),
                                          (4, 3, 2), (12, 12, 1), (20, 17, 1), (30, 30, 2),
                                          (96, 90, 1), (250, 240, 1), (16, 5, 4)]:
            out.append((f"rfft_{dtype.lower()}_{fft_length}_{frame}x{frames}",
                        rfft_case(dtype, fft_length, frame, frames, scale)))
    for fft_length, period in [(512, 32), (64, 8), (60, 6), (40, 10)]:
        out.append((f"rfft_int16_square_{fft_length}_p{period}",
                    rfft_square_case("INT16", fft_length, period, 32760)))
        out.append((f"rfft_int32_square_{fft_length}_p{period}",
                    rfft_square_case("INT32", fft_length, period, 2147483000)))
    for bins in [257, 33, 1]:
        out.append((f"energy_{bins}", energy_case(bins)))
    for bins, channels, outputs in [(257, 40, 40), (65, 10, 10), (129, 16, 12)]:
        out.append((f"filter_bank_{bins}_{channels}_{outputs}",
                    filter_bank_case(rng, bins, channels, outputs)))
    for n, shift in [(40, 0), (40, 7), (9, 15)]:
        out.append((f"sqrt_{n}_s{shift}", sqrt_case(n, shift)))
    out.append(("subtraction_40", subtraction_case(40)))
    out.append(("subtraction_40_clamping", subtraction_case(40, clamping=True)))
    out.append(("subtraction_13_bits", subtraction_case(
        13, smoothing_bits=4, spectral_subtraction_bits=20, smoothing=1 << 14,
        one_minus_smoothing=(1 << 20) - (1 << 14), alternate_smoothing=3000,
        alternate_one_minus_smoothing=(1 << 20) - 3000, min_signal_remaining=1 << 18)))
    for n, snr_shift in [(40, 6), (17, 0), (8, 20)]:
        out.append((f"pcan_{n}_s{snr_shift}", pcan_case(rng, n, snr_shift)))
    for n, correction, scale in [(40, 3, 64), (40, 0, 1), (11, 12, 1000), (5, 31, 1 << 20)]:
        out.append((f"log_{n}_c{correction}_x{scale}", log_case(n, correction, scale)))
    return out
