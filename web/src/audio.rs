//! The Wake word page's pure parts, built and tested on the host: audio at the device's rate
//! resampled to 16 kHz ([`resample`]), WAV files ([`wav`]), the features stream that turns
//! samples into model inputs ([`stream`]) and the command recogniser that turns a stream of
//! scores into detections ([`recognize`]). The page only wires them to the microphone, the
//! runner worker and the canvas.

pub mod listener;
pub mod recognize;
pub mod resample;
pub mod stream;
pub mod wav;
