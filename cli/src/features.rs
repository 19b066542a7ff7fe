//! `tinyml features`: audio features from a WAV file with the engine's micro frontend.

use std::path::Path;

use anyhow::{bail, Context, Result};
use tinyml_engine::frontend::{Frontend, FrontendConfig};

/// Computes the features of `wav` with `preset` and writes them to `output` as raw
/// little-endian `u16`, `num_channels` per frame, frames in order. Prints a one-line summary.
pub fn features(wav: &Path, preset: &str, output: &Path) -> Result<()> {
    let Some(config) = FrontendConfig::preset(preset) else {
        bail!(
            "unknown preset {preset:?} (known: {})",
            FrontendConfig::PRESETS.join(", ")
        );
    };
    let bytes = std::fs::read(wav).with_context(|| format!("cannot read {}", wav.display()))?;
    let audio = parse_wav(&bytes).with_context(|| format!("{}", wav.display()))?;
    if audio.sample_rate != config.sample_rate {
        bail!(
            "{}: sample rate is {} Hz; preset {preset} needs {} Hz (resample first)",
            wav.display(),
            audio.sample_rate,
            config.sample_rate
        );
    }
    let samples: Vec<i16> = audio
        .data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();

    let mut frontend = Box::new(Frontend::EMPTY);
    frontend.configure(&config)?;
    let channels = frontend.num_channels();
    let mut out = Vec::with_capacity(samples.len() / frontend.step_samples().max(1) * channels * 2);
    let mut frames = 0usize;
    let mut pos = 0;
    while pos < samples.len() {
        let (taken, feats) = frontend.process_samples(&samples[pos..]);
        if taken == 0 {
            break;
        }
        pos += taken;
        if let Some(f) = feats {
            for v in f {
                out.extend_from_slice(&v.to_le_bytes());
            }
            frames += 1;
        }
    }
    std::fs::write(output, &out).with_context(|| format!("cannot write {}", output.display()))?;
    crate::emit(&format!(
        "{frames} frames x {channels} features ({} samples, {} ms window every {} ms) -> {}\n",
        samples.len(),
        config.window_size_ms,
        config.window_step_ms,
        output.display()
    ))
}

/// The parts of a WAV file the frontend needs.
#[derive(Debug)]
struct Wav<'a> {
    sample_rate: u32,
    /// 16-bit little-endian mono samples.
    data: &'a [u8],
}

/// Reads a RIFF/WAVE file holding 16-bit mono PCM; anything else is a clear error.
fn parse_wav(bytes: &[u8]) -> Result<Wav<'_>> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        bail!("not a WAV file (no RIFF/WAVE header)");
    }
    let mut pos = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]);
        let body_start = pos + 8;
        let available = bytes.len() - body_start;
        match id {
            b"fmt " => {
                let body = bytes
                    .get(body_start..body_start + (size as usize).min(available))
                    .unwrap_or(&[]);
                if body.len() < 16 {
                    bail!("WAV fmt chunk too short ({} bytes)", body.len());
                }
                let u16_at = |i: usize| u16::from_le_bytes([body[i], body[i + 1]]);
                let mut tag = u16_at(0);
                let channels = u16_at(2);
                let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                let bits = u16_at(14);
                // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the
                // sub-format GUID.
                if tag == 0xFFFE && body.len() >= 26 {
                    tag = u16_at(24);
                }
                format = Some((tag, channels, rate, bits));
            }
            b"data" => {
                let Some((tag, channels, rate, bits)) = format else {
                    bail!("WAV data chunk before the fmt chunk");
                };
                match tag {
                    1 => {}
                    3 => bail!("WAV holds 32-bit float samples; 16-bit PCM is needed"),
                    other => bail!("WAV format tag {other} is not PCM; 16-bit PCM is needed"),
                }
                if bits != 16 {
                    bail!("WAV holds {bits}-bit samples; 16-bit PCM is needed");
                }
                if channels != 1 {
                    bail!("WAV has {channels} channels; mono is needed");
                }
                // Streaming writers leave the size at 0 or 0xFFFFFFFF: read to the end.
                let len = if size == 0 || size == u32::MAX {
                    available
                } else if size as usize > available {
                    bail!(
                        "WAV data chunk claims {size} bytes but only {available} follow (truncated file?)"
                    );
                } else {
                    size as usize
                };
                let data = &bytes[body_start..body_start + len];
                return Ok(Wav {
                    sample_rate: rate,
                    data: &data[..data.len() & !1],
                });
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        let next = body_start as u64 + u64::from(size) + u64::from(size & 1);
        if next > bytes.len() as u64 {
            break;
        }
        pos = next as usize;
    }
    if format.is_none() {
        bail!("WAV file has no fmt chunk");
    }
    bail!("WAV file has no data chunk")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(channels) * u32::from(bits) / 8).to_le_bytes());
        v.extend_from_slice(&(channels * bits / 8).to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(b"LIST");
        v.extend_from_slice(&3u32.to_le_bytes());
        v.extend_from_slice(b"abc\0"); // odd size, padded
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn reads_16_bit_mono_pcm() {
        let w = wav(1, 1, 16000, 16, &[1, 0, 255, 255]);
        let parsed = parse_wav(&w).unwrap();
        assert_eq!(parsed.sample_rate, 16000);
        assert_eq!(parsed.data, &[1, 0, 255, 255]);
    }

    #[test]
    fn rejects_other_formats_clearly() {
        let err = |w: &[u8]| format!("{:#}", parse_wav(w).unwrap_err());
        assert!(err(&wav(1, 2, 16000, 16, &[0; 8])).contains("2 channels"));
        assert!(err(&wav(1, 1, 16000, 8, &[0; 8])).contains("8-bit"));
        assert!(err(&wav(3, 1, 16000, 32, &[0; 8])).contains("float"));
        assert!(err(&wav(6, 1, 16000, 8, &[0; 8])).contains("not PCM"));
        assert!(err(b"RIFF\0\0\0\0WAVE").contains("no fmt chunk"));
        assert!(err(b"hello world, not a wav").contains("not a WAV"));
        let mut truncated = wav(1, 1, 16000, 16, &[0; 8]);
        truncated.truncate(truncated.len() - 2);
        assert!(err(&truncated).contains("truncated"));
    }
}
