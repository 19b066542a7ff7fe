//! `tinyml`: inspect, run and benchmark TensorFlow Lite models with the TinyML Playground
//! engine. Scripts depend on the argument forms and JSON keys; see README.md.

/// `writeln!` into a `String` (which cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

mod bench;
mod export;
mod features;
mod image;
mod inspect;
mod run;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "tinyml",
    version,
    about = "Run TensorFlow Lite models as TFLM runs them on a microcontroller"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ops, tensors, inputs, outputs, the arena plan and the exact arena size a model needs.
    Inspect {
        /// The .tflite file.
        model: PathBuf,
        /// Print JSON (keys: arena_bytes, ops, inputs, outputs, tensors, plan).
        #[arg(long)]
        json: bool,
    },
    /// Run a model on raw little-endian tensor files.
    ///
    /// One --input per model input and one --output per model output, in order. An input file
    /// holding k whole tensors runs k invocations in sequence (state carried over); the outputs
    /// of all invocations are concatenated.
    Run {
        /// The .tflite file.
        model: PathBuf,
        /// Raw input tensor bytes, one file per model input.
        #[arg(long = "input", required = true)]
        inputs: Vec<PathBuf>,
        /// Where to write raw output tensor bytes, one file per model output.
        #[arg(long = "output", required = true)]
        outputs: Vec<PathBuf>,
    },
    /// Time inference: median and minimum per invocation, and a per-op breakdown.
    Bench {
        /// The .tflite file.
        model: PathBuf,
        /// Timed invocations (after warm-up).
        #[arg(long, default_value_t = 100)]
        iterations: usize,
        /// Print JSON (keys: median_us, min_us, iterations, ops).
        #[arg(long)]
        json: bool,
    },
    /// A firmware image that runs the model on a board, or the model as a C array.
    ///
    /// The image is the firmware template built for the board with the model (and the --input,
    /// run at boot) in its model slot. It prints the outputs, per-op cycle counts and the arena
    /// size over the board's UART (USART1; UART0 on GP0/GP1 on the Pico) at 115200 baud.
    /// Formats: bin (raw, from the flash origin), hex (Intel HEX), dfu (DfuSe, for dfu-util and
    /// the ROM bootloader), uf2 (the Pico's RPI-RP2 drive), c (model_data.cc/.h; --output is
    /// the .cc file or a folder). The Pico takes uf2, bin and c.
    Export {
        /// The .tflite file.
        model: PathBuf,
        /// netduinoplus2 (also QEMU's machine), stm32f411-blackpill, stm32f407-discovery, pico, or
        /// qemu-m0 (QEMU's Cortex-M0 microbit machine, enlarged; not a board).
        #[arg(long)]
        board: String,
        /// bin, hex, dfu, uf2 or c.
        #[arg(long)]
        format: String,
        /// Raw input tensor bytes to run at boot: every model input back to back.
        #[arg(long)]
        input: Option<PathBuf>,
        /// The file to write.
        #[arg(long)]
        output: PathBuf,
    },
    /// Audio features of a 16-bit mono PCM WAV with TFLM's micro frontend, bit-exact.
    ///
    /// Writes raw little-endian u16 values, one vector of channels per frame (40 for
    /// micro_wakeword), frames in order.
    Features {
        /// The .wav file (16-bit mono PCM at the preset's sample rate).
        wav: PathBuf,
        /// Frontend configuration: micro_wakeword (16 kHz, 30 ms window, 10 ms step, 40
        /// channels, PCAN, log).
        #[arg(long, default_value = "micro_wakeword")]
        preset: String,
        /// Where to write the features.
        #[arg(long)]
        output: PathBuf,
    },
    /// A picture as an image model's input tensor: centre crop, area resize, gray or RGB, the
    /// input's type and quantization (the playground's Vision page does the same).
    ///
    /// By default the pixel range spans the tensor's: int8 p - 128 (TFLM's camera examples),
    /// uint8 p, float32 p/255. --range LO,HI maps black to LO and white to HI instead and
    /// quantizes with the input's scale and zero point.
    Image {
        /// The picture (BMP: 8-bit palettized, 24- or 32-bit, uncompressed).
        picture: PathBuf,
        /// The .tflite file whose input 0 is the image.
        #[arg(long)]
        model: PathBuf,
        /// Float of a black and a white pixel, e.g. -1,1.
        #[arg(long, value_parser = parse_range)]
        range: Option<(f32, f32)>,
        /// 255 - p: for light-on-dark models (MNIST) and dark-on-light pictures.
        #[arg(long)]
        invert: bool,
        /// Where to write the raw input tensor.
        #[arg(long)]
        output: PathBuf,
    },
}

fn parse_range(s: &str) -> std::result::Result<(f32, f32), String> {
    let (lo, hi) = s
        .split_once(',')
        .ok_or_else(|| format!("{s:?}: expected LO,HI"))?;
    let num = |v: &str| {
        v.trim()
            .parse::<f32>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{v:?} is not a number"))
    };
    Ok((num(lo)?, num(hi)?))
}

/// Writes a command's output to stdout. A closed pipe (`tinyml inspect m | head`) is not an
/// error: the reader has what it wanted.
pub fn emit(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Reads a model file, with the path in the error.
pub fn read_model(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { model, json } => inspect::inspect(&model, json),
        Command::Run {
            model,
            inputs,
            outputs,
        } => run::run(&model, &inputs, &outputs),
        Command::Bench {
            model,
            iterations,
            json,
        } => bench::bench(&model, iterations, json),
        Command::Export {
            model,
            board,
            format,
            input,
            output,
        } => export::export(&model, &board, &format, input.as_deref(), &output),
        Command::Features {
            wav,
            preset,
            output,
        } => features::features(&wav, &preset, &output),
        Command::Image {
            picture,
            model,
            range,
            invert,
            output,
        } => image::image(&picture, &model, range, invert, &output),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One plain line: the chain of contexts, outermost first.
            let msg = e
                .chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("tinyml: {msg}");
            ExitCode::FAILURE
        }
    }
}
