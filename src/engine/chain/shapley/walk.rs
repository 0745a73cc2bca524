//! The inner loop of `shapley.rs`: the Gray-code walk over the coalitions of the players, eight
//! hidden units at a time in two-lane f64 vectors (wasm SIMD where the build has it, the same
//! operations lane by lane elsewhere, so every build gives the same bits).

/// Two-lane vectors of the SIMD wasm build, as `core::arch::wasm32` spells them.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::{
        f64x2, f64x2_add, f64x2_extract_lane, f64x2_pmax, f64x2_splat, f64x2_sub, v128,
    };

    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub(in super::super) struct F2(v128);

    impl F2 {
        #[inline(always)]
        pub(in super::super) fn new(a: f64, b: f64) -> F2 {
            F2(f64x2(a, b))
        }
        #[inline(always)]
        pub(in super::super) fn add(self, o: F2) -> F2 {
            F2(f64x2_add(self.0, o.0))
        }
        #[inline(always)]
        pub(in super::super) fn sub(self, o: F2) -> F2 {
            F2(f64x2_sub(self.0, o.0))
        }
        /// `pmax(0, x)` is `0 < x ? x : 0`, bit for bit [`super::relu`].
        #[inline(always)]
        pub(in super::super) fn relu(self) -> F2 {
            F2(f64x2_pmax(f64x2_splat(0.0), self.0))
        }
        #[inline(always)]
        pub(in super::super) fn lanes(self) -> [f64; 2] {
            [
                f64x2_extract_lane::<0>(self.0),
                f64x2_extract_lane::<1>(self.0),
            ]
        }
    }
}

/// Two-lane vectors elsewhere: the same operations lane by lane, so every build gives the same
/// bits (LLVM keeps them as two-lane SSE2 natively).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub(in super::super) struct F2([f64; 2]);

    impl F2 {
        #[inline(always)]
        pub(in super::super) fn new(a: f64, b: f64) -> F2 {
            F2([a, b])
        }
        #[inline(always)]
        pub(in super::super) fn add(self, o: F2) -> F2 {
            let ([a, b], [c, d]) = (self.0, o.0);
            F2([a + c, b + d])
        }
        #[inline(always)]
        pub(in super::super) fn sub(self, o: F2) -> F2 {
            let ([a, b], [c, d]) = (self.0, o.0);
            F2([a - c, b - d])
        }
        #[inline(always)]
        pub(in super::super) fn relu(self) -> F2 {
            F2(self.0.map(super::relu))
        }
        #[inline(always)]
        pub(in super::super) fn lanes(self) -> [f64; 2] {
            self.0
        }
    }
}

pub(super) use lanes::F2;

/// Vectors per block of mixed units: eight units whose pre-activations stay in registers for a
/// whole walk over the coalitions.
pub(super) const VECTORS: usize = 4;

/// One block's eight lanes.
pub(super) type Block = [F2; VECTORS];

/// Adds one block's `Σ ±relu(h)` to every coalition's sums, walking the coalitions in Gray-code
/// order from `start` (the empty coalition): `rows[steps[g − 1]]` is added at step `g`. The
/// first `UP` vectors count positively, the others negatively.
#[inline(always)]
pub(super) fn walk<const UP: usize>(
    start: &Block,
    rows: &[Block],
    steps: &[u32],
    sums: &mut [F2],
) -> Option<()> {
    let mut h = *start;
    let (first, rest) = sums.split_first_mut()?;
    *first = accumulate::<UP>(*first, &h);
    for (s, &row) in rest.iter_mut().zip(steps) {
        let d = rows.get(row as usize)?;
        for (x, d) in h.iter_mut().zip(d) {
            *x = x.add(*d);
        }
        *s = accumulate::<UP>(*s, &h);
    }
    Some(())
}

/// `sum + Σ_{v<UP} relu(h_v) − Σ_{v≥UP} relu(h_v)`, in one fixed order.
#[inline(always)]
fn accumulate<const UP: usize>(sum: F2, h: &Block) -> F2 {
    let [a, b, c, d] = h.map(F2::relu);
    match UP {
        4 => sum.add(a.add(b).add(c.add(d))),
        3 => sum.add(a.add(b).add(c.sub(d))),
        2 => sum.add(a.add(b).sub(c.add(d))),
        1 => sum.add(a.sub(b.add(c).add(d))),
        _ => sum.sub(a.add(b).add(c.add(d))),
    }
}

/// max(x, 0), as the chain's `Relu` (NaN to 0).
#[inline(always)]
pub(super) fn relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}
