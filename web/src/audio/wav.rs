//! WAV files for the Wake word page's "play a file" input: 16-bit PCM, any rate, mono or
//! several channels (mixed down), as floats in [-1, 1] for the same resampler the microphone
//! goes through.

/// A decoded WAV: mono floats and their rate.
#[derive(Debug, PartialEq)]
pub struct Wav {
    /// Samples per second.
    pub rate: u32,
    /// Mono samples, `s / 32768`.
    pub samples: Vec<f32>,
}

/// Reads a RIFF/WAVE file of 16-bit PCM; anything else is an error in words.
pub fn parse(bytes: &[u8]) -> Result<Wav, String> {
    if bytes.len() < 12 || bytes.get(0..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err("not a WAV file (no RIFF/WAVE header)".into());
    }
    let u16_at = |b: &[u8], i: usize| b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]]));
    let u32_at = |b: &[u8], i: usize| {
        b.get(i..i + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let mut pos = 12usize;
    let mut format = None;
    while let (Some(id), Some(size)) = (bytes.get(pos..pos + 4), u32_at(bytes, pos + 4)) {
        let body = pos + 8;
        let end = body.saturating_add(size as usize).min(bytes.len());
        let chunk = bytes.get(body..end).unwrap_or(&[]);
        match id {
            b"fmt " => {
                let (Some(mut tag), Some(channels), Some(rate), Some(bits)) = (
                    u16_at(chunk, 0),
                    u16_at(chunk, 2),
                    u32_at(chunk, 4),
                    u16_at(chunk, 14),
                ) else {
                    return Err("WAV fmt chunk is too short".into());
                };
                if tag == 0xFFFE {
                    tag = u16_at(chunk, 24).unwrap_or(tag);
                }
                format = Some((tag, channels, rate, bits));
            }
            b"data" => {
                let Some((tag, channels, rate, bits)) = format else {
                    return Err("WAV data chunk before the fmt chunk".into());
                };
                if tag != 1 || bits != 16 {
                    return Err(format!(
                        "WAV holds format {tag}, {bits}-bit samples; 16-bit PCM is needed"
                    ));
                }
                if channels == 0 || rate == 0 {
                    return Err("WAV has no channels or a zero rate".into());
                }
                let n = usize::from(channels);
                let samples = chunk
                    .chunks_exact(2 * n)
                    .map(|frame| {
                        let sum: i32 = frame
                            .chunks_exact(2)
                            .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])))
                            .sum();
                        sum as f32 / (32768.0 * n as f32)
                    })
                    .collect();
                return Ok(Wav { rate, samples });
            }
            _ => {}
        }
        pos = body.saturating_add(size as usize + (size as usize & 1));
    }
    Err("WAV file has no data chunk".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(b"RIFF");
        v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        v.extend_from_slice(b"WAVEfmt ");
        v.extend_from_slice(&16u32.to_le_bytes());
        v.extend_from_slice(&1u16.to_le_bytes());
        v.extend_from_slice(&channels.to_le_bytes());
        v.extend_from_slice(&rate.to_le_bytes());
        v.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        v.extend_from_slice(&(channels * bits / 8).to_le_bytes());
        v.extend_from_slice(&bits.to_le_bytes());
        v.extend_from_slice(b"data");
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn mono_and_stereo() {
        let w = parse(&wav(1, 16000, 16, &[0, 64, 0, 192])).unwrap();
        assert_eq!(
            w,
            Wav {
                rate: 16000,
                samples: vec![0.5, -0.5]
            }
        );
        // Stereo (16384, -16384) and (-32768, -32768) mix to 0 and -1.
        let w = parse(&wav(2, 48000, 16, &[0, 64, 0, 192, 0, 128, 0, 128])).unwrap();
        assert_eq!(
            w,
            Wav {
                rate: 48000,
                samples: vec![0.0, -1.0]
            }
        );
    }

    #[test]
    fn other_files_are_errors() {
        assert!(parse(b"hello").unwrap_err().contains("not a WAV"));
        assert!(parse(&wav(1, 16000, 8, &[1, 2]))
            .unwrap_err()
            .contains("16-bit"));
        assert!(parse(b"RIFF\0\0\0\0WAVE").unwrap_err().contains("no data"));
    }
}
