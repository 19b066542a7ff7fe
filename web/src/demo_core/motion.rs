//! A phone as a magic wand: its gyroscope's rotation rates (DeviceMotionEvent's `rotationRate`)
//! integrated into a 2-D stroke, as TFLM's newer magic_wand example integrates its IMU's
//! gyroscope into the stroke it rasterises. The stroke's units (degrees) do not matter: the
//! rasteriser scales every stroke to the same size.
//!
//! The phone is held upright, screen towards the user, and pointed like a wand: turning it left
//! or right is a rotation about its y axis (`gamma`), tilting it up or down one about its x axis
//! (`beta`). By the right-hand rule a positive `gamma` swings the phone's back (where it points)
//! to the left and a positive `beta` tilts it up, so in pointer coordinates (x right, y down)
//! the stroke moves by (-gamma, -beta) × dt.

/// One `devicemotion` event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RotationSample {
    /// Degrees a second about the device's x axis (`rotationRate.beta`).
    pub beta: f64,
    /// Degrees a second about the device's y axis (`rotationRate.gamma`).
    pub gamma: f64,
    /// Milliseconds since the previous event (`interval`).
    pub interval_ms: f64,
}

/// Events further apart than this (a stalled page, a sensor hiccup) count as this long, so that
/// one gap does not throw the stroke off its course.
const MAX_INTERVAL_MS: f64 = 100.0;

/// The stroke (degrees, x right, y down) the rotations trace, starting at (0, 0): one point a
/// sample, samples with non-finite rates skipped.
pub fn integrate(samples: &[RotationSample]) -> Vec<(f64, f64)> {
    let mut at = (0.0, 0.0);
    let mut points = vec![at];
    for s in samples {
        if !(s.beta.is_finite() && s.gamma.is_finite() && s.interval_ms.is_finite()) {
            continue;
        }
        let dt = s.interval_ms.clamp(0.0, MAX_INTERVAL_MS) / 1000.0;
        at = (at.0 - s.gamma * dt, at.1 - s.beta * dt);
        points.push(at);
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(beta: f64, gamma: f64) -> RotationSample {
        RotationSample {
            beta,
            gamma,
            interval_ms: 16.0,
        }
    }

    #[test]
    fn turning_right_then_tilting_down_draws_right_then_down() {
        // Turning right is a negative gamma; tilting down a negative beta.
        let mut samples = vec![s(0.0, -90.0); 10];
        samples.extend(vec![s(-45.0, 0.0); 10]);
        let p = integrate(&samples);
        assert_eq!(p.len(), 21);
        let corner = p[10];
        assert!(
            (corner.0 - 14.4).abs() < 1e-9 && corner.1.abs() < 1e-12,
            "{corner:?}"
        );
        let end = p[20];
        assert!(
            (end.0 - 14.4).abs() < 1e-9 && (end.1 - 7.2).abs() < 1e-9,
            "{end:?}"
        );
    }

    #[test]
    fn gaps_are_capped_and_garbage_is_skipped() {
        let p = integrate(&[
            RotationSample {
                beta: 0.0,
                gamma: -10.0,
                interval_ms: 5000.0,
            },
            s(f64::NAN, 1.0),
        ]);
        assert_eq!(p, vec![(0.0, 0.0), (1.0, 0.0)]);
    }
}
