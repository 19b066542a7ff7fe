//! The latency estimate for a board: cycles per multiply-accumulate by kernel kind and core,
//! plus per-element and per-op costs for the rest. An ESTIMATE, not a measurement.
//!
//! Source: an instruction count of the engine's reference inner loops, which follow TFLM's
//! reference kernels (`acc += filter * (input + input_offset)`: two byte loads, an add, a
//! multiply-accumulate, loop and index arithmetic; depthwise adds per-tap bounds checks), priced
//! with each core's published instruction timings:
//! - Cortex-M4F: ARM DDI 0439 (Cortex-M4 TRM) 3.3, loads 2 cycles, MLA 1, taken branch 2-4.
//! - Cortex-M7: ARM DDI 0489 (Cortex-M7 TRM), dual issue, loads 1 cycle from TCM.
//! - Cortex-M0+: ARM DDI 0484 (Cortex-M0+ TRM), single-cycle multiplier (RP2040 has the fast
//!   one), no MLA, 8 low registers so more spills.
//! - Xtensa LX7 (ESP32-S3), without its SIMD: Cadence LX7 data book figures as summarised in
//!   Espressif's ESP32-S3 technical reference manual, 1-cycle MUL/ADD, 2-cycle loads.
//! - AVR (ATmega328P): Microchip AVR instruction set manual, 8x8 MULS 2 cycles, a 32-bit
//!   accumulate 4 ADD/ADC, no barrel shifter, so requantization is slow too.
//!
//! Not modelled: caches and flash wait states, SIMD (CMSIS-NN would be 2-4x faster on
//! Cortex-M4/M7), memory contention. Expect the truth within a factor of about 2.

use serde::{Deserialize, Serialize};

use crate::protocol::ModelReport;

/// A CPU core family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Core {
    /// Arm Cortex-M4 with FPU.
    CortexM4F,
    /// Arm Cortex-M7.
    CortexM7,
    /// Arm Cortex-M0+.
    CortexM0Plus,
    /// Cadence Xtensa LX7.
    XtensaLx7,
    /// Microchip 8-bit AVR.
    Avr8,
}

impl Core {
    /// All cores, in the order of the page's custom-board selector.
    pub const ALL: [Core; 5] = [
        Core::CortexM4F,
        Core::CortexM7,
        Core::CortexM0Plus,
        Core::XtensaLx7,
        Core::Avr8,
    ];

    /// Name for people.
    pub fn name(self) -> &'static str {
        match self {
            Core::CortexM4F => "Cortex-M4F",
            Core::CortexM7 => "Cortex-M7",
            Core::CortexM0Plus => "Cortex-M0+",
            Core::XtensaLx7 => "Xtensa LX7",
            Core::Avr8 => "AVR (8-bit)",
        }
    }

    /// Short id for the page's `<select>`.
    pub fn id(self) -> &'static str {
        match self {
            Core::CortexM4F => "m4f",
            Core::CortexM7 => "m7",
            Core::CortexM0Plus => "m0plus",
            Core::XtensaLx7 => "lx7",
            Core::Avr8 => "avr",
        }
    }

    /// The core with id `id`.
    pub fn from_id(id: &str) -> Option<Core> {
        Core::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The cost table of this core.
    pub fn costs(self) -> Costs {
        // conv, depthwise, fully connected (cycles/MAC); other ops (cycles/output element);
        // fixed cost per op (dispatch, prepare-data reads, requantization set-up).
        let (conv, depthwise, dense, element, per_op) = match self {
            Core::CortexM4F => (9.0, 11.0, 6.0, 20.0, 400.0),
            Core::CortexM7 => (5.0, 6.0, 3.5, 12.0, 250.0),
            Core::CortexM0Plus => (16.0, 19.0, 11.0, 30.0, 600.0),
            Core::XtensaLx7 => (7.0, 8.0, 5.0, 16.0, 350.0),
            Core::Avr8 => (60.0, 70.0, 45.0, 150.0, 3000.0),
        };
        Costs {
            conv,
            depthwise,
            dense,
            element,
            per_op,
        }
    }
}

/// Cycle costs of one core (see the module documentation for their source).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Costs {
    /// Cycles per MAC of CONV_2D and TRANSPOSE_CONV.
    pub conv: f64,
    /// Cycles per MAC of DEPTHWISE_CONV_2D.
    pub depthwise: f64,
    /// Cycles per MAC of FULLY_CONNECTED, BATCH_MATMUL, SVDF and the recurrent ops.
    pub dense: f64,
    /// Cycles per output element of ops without MACs (and for pooling, softmax, ...).
    pub element: f64,
    /// Cycles per op.
    pub per_op: f64,
}

/// Estimated cycles of one op: `macs` multiply-accumulates producing `out_elements` values.
pub fn op_cycles(costs: &Costs, op: &str, macs: u64, out_elements: u64) -> f64 {
    let per_mac = match op {
        "CONV_2D" | "TRANSPOSE_CONV" | "CONV_3D" => costs.conv,
        "DEPTHWISE_CONV_2D" => costs.depthwise,
        _ => costs.dense,
    };
    let work = if macs > 0 {
        macs as f64 * per_mac
    } else {
        out_elements as f64 * costs.element
    };
    costs.per_op + work
}

/// Milliseconds for `cycles` at `clock_mhz`.
pub fn cycles_to_ms(cycles: f64, clock_mhz: u32) -> f64 {
    cycles / (clock_mhz.max(1) as f64 * 1000.0)
}

/// Estimated milliseconds of every op of `model` (subgraph by subgraph, ops in order) on `core`
/// at `clock_mhz`, from the engine's MAC counts and output sizes.
pub fn estimate_ms(model: &ModelReport, core: Core, clock_mhz: u32) -> Vec<Vec<f64>> {
    let costs = core.costs();
    model
        .subgraphs
        .iter()
        .map(|sg| {
            sg.ops
                .iter()
                .map(|op| {
                    let out_elements: u64 = op
                        .outputs
                        .iter()
                        .filter_map(|&t| sg.tensors.get(usize::try_from(t).ok()?))
                        .map(|t| (t.bytes / t.elem_bytes.max(1)) as u64)
                        .sum();
                    cycles_to_ms(op_cycles(&costs, &op.op, op.macs, out_elements), clock_mhz)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_conv_macs_on_an_m4_at_100mhz_take_about_90ms() {
        let c = Core::CortexM4F.costs();
        let ms = cycles_to_ms(op_cycles(&c, "CONV_2D", 1_000_000, 0), 100);
        assert!((ms - 90.004).abs() < 1e-9, "{ms}");
    }

    #[test]
    fn ops_without_macs_cost_per_element() {
        let c = Core::CortexM0Plus.costs();
        assert_eq!(op_cycles(&c, "SOFTMAX", 0, 10), 600.0 + 300.0);
    }

    #[test]
    fn core_ids_round_trip() {
        for c in Core::ALL {
            assert_eq!(Core::from_id(c.id()), Some(c));
        }
    }
}
