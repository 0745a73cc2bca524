//! Weight matrices of the direct evaluator: dense layers stored as panels of 16 output columns,
//! the kernel that multiplies a row by them (in the SIMD wasm build spelled out in
//! `core::arch::wasm32` vectors, since LLVM does not vectorize at the wasm build's opt-level), and
//! single weights for the Shapley routine (`chain/shapley.rs`).

/// Output columns computed together: four 4-lane vectors of running sums that stay in registers
/// while the inputs stream past.
const BLOCK: usize = 16;

/// `BLOCK` weights of one input row; with wasm SIMD, as the four vectors the kernel loads.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Panel = [core::arch::wasm32::v128; 4];

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type Panel = [f32; BLOCK];

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn panel(w: [f32; BLOCK]) -> Panel {
    use core::arch::wasm32::f32x4;
    let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = w;
    [
        f32x4(a, b, c, d),
        f32x4(e, f, g, h),
        f32x4(i, j, k, l),
        f32x4(m, n, o, p),
    ]
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn panel(w: [f32; BLOCK]) -> Panel {
    w
}

/// A panel's weights as plain numbers.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn panel_values(panel: &Panel) -> [f32; BLOCK] {
    use core::arch::wasm32::{f32x4_extract_lane, v128};
    let lanes = |v: v128| {
        [
            f32x4_extract_lane::<0>(v),
            f32x4_extract_lane::<1>(v),
            f32x4_extract_lane::<2>(v),
            f32x4_extract_lane::<3>(v),
        ]
    };
    let [v0, v1, v2, v3] = *panel;
    let ([a, b, c, d], [e, f, g, h]) = (lanes(v0), lanes(v1));
    let ([i, j, k, l], [m, n, o, p]) = (lanes(v2), lanes(v3));
    [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p]
}

/// Σ input[i] · panels[i], lane by lane. The wasm build is optimized for size, where LLVM does
/// not vectorize, so the SIMD variant spells the vectors out.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn panel_sums(input: &[f32], panels: &[Panel]) -> [f32; BLOCK] {
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat};
    let zero = f32x4_splat(0.0);
    let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
    for (&a, &[w0, w1, w2, w3]) in input.iter().zip(panels) {
        let a = f32x4_splat(a);
        s0 = f32x4_add(s0, f32x4_mul(a, w0));
        s1 = f32x4_add(s1, f32x4_mul(a, w1));
        s2 = f32x4_add(s2, f32x4_mul(a, w2));
        s3 = f32x4_add(s3, f32x4_mul(a, w3));
    }
    panel_values(&[s0, s1, s2, s3])
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn panel_sums(input: &[f32], panels: &[Panel]) -> [f32; BLOCK] {
    let mut sums = [0.0f32; BLOCK];
    for (&a, w) in input.iter().zip(panels) {
        for (s, w) in sums.iter_mut().zip(w) {
            *s += a * w;
        }
    }
    sums
}

/// A matrix [inputs, outputs], stored as panels of `BLOCK` output columns (zero-padded), each
/// panel input-major, so that a row times the matrix is one pass over contiguous weights per
/// panel with the sums in registers. A single column is kept as it is, for a dot product.
#[derive(Clone, Debug)]
pub(super) struct Dense {
    panels: Vec<Panel>,
    column: Vec<f32>,
    /// The weights as ONNX stores them, [inputs, outputs] (for [`Dense::weight`]).
    rows: Vec<f32>,
    inputs: usize,
    pub(super) outputs: usize,
}

impl Dense {
    /// `weights` is [inputs, outputs], row-major, as ONNX stores a MatMul's right operand.
    pub(super) fn new(weights: &[f32], inputs: usize, outputs: usize) -> Dense {
        if outputs == 1 {
            return Dense {
                panels: Vec::new(),
                column: weights.to_vec(),
                rows: Vec::new(),
                inputs,
                outputs,
            };
        }
        let mut panels = Vec::with_capacity(outputs.div_ceil(BLOCK) * inputs);
        for first in (0..outputs).step_by(BLOCK) {
            for row in weights.chunks_exact(outputs) {
                let mut values = [0.0; BLOCK];
                for (p, w) in values.iter_mut().zip(row.iter().skip(first)) {
                    *p = *w;
                }
                panels.push(panel(values));
            }
        }
        Dense {
            panels,
            column: Vec::new(),
            rows: weights.to_vec(),
            inputs,
            outputs,
        }
    }

    /// The weight from input `t` to output `o`.
    pub(super) fn weight(&self, t: usize, o: usize) -> Option<f32> {
        if t >= self.inputs || o >= self.outputs {
            return None;
        }
        if self.outputs == 1 {
            self.column.get(t).copied()
        } else {
            self.rows.get(t * self.outputs + o).copied()
        }
    }

    /// `out = input · weights`; `out` has `outputs` elements. Not inlined: inside the caller's
    /// large loop LLVM stopped vectorizing the panel sums (measured: 16 scalar adds).
    #[inline(never)]
    pub(super) fn apply(&self, input: &[f32], out: &mut [f32]) {
        if let [single] = out {
            *single = dot(input, &self.column);
            return;
        }
        for (panels, out) in self
            .panels
            .chunks_exact(self.inputs.max(1))
            .zip(out.chunks_mut(BLOCK))
        {
            for (o, s) in out.iter_mut().zip(&panel_sums(input, panels)) {
                *o = *s;
            }
        }
    }
}

/// A dot product with eight running sums, so that it pipelines.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0.0f32; 8];
    let (a8, a_tail) = a.as_chunks::<8>();
    let (b8, b_tail) = b.as_chunks::<8>();
    for (x, y) in a8.iter().zip(b8) {
        for ((s, x), y) in sums.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    sums.iter().sum::<f32>() + tail
}
