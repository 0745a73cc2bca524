//! Exact interventional TreeSHAP against one baseline applicant.
//!
//! With a single background point `z`, a feature outside the coalition takes its value from `z`.
//! In one tree, the leaf reached by a coalition's hybrid row is decided only at the branches
//! where `x` and `z` part ways, so each leaf is reached exactly when the features whose `x`-side
//! was taken on the way (`X`) are in the coalition and those whose `z`-side was taken (`Z`) are
//! not. That game, `v · [X ⊆ S, Z ∩ S = ∅]`, has the Shapley values `v · |X−1|! |Z|! / (|X|+|Z|)!`
//! for each feature of `X` and `−v · |X|! |Z−1|! / (|X|+|Z|)!` for each of `Z`. One walk visits
//! every node at most once (a feature already on one side stays there), so the cost is linear in
//! the tree's size and the values are exact; they sum to `f(x) − f(z)`.

use super::ensemble::{Ensemble, MAX_TREE_DEPTH, Mode, goes_true_as};

/// Which side of a feature a path took.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Open,
    X,
    Z,
}

struct Walk<'a, const M: u8> {
    e: &'a Ensemble,
    x: &'a [f32],
    z: &'a [f32],
    target: u32,
    scale: f64,
    side: Vec<Side>,
    /// Features currently on each side, in the order they were put there.
    on_path: Vec<usize>,
    /// `weights[a][b] = a! b! / (a + b + 1)!`.
    weights: &'a [Vec<f64>],
    phi: &'a mut [f64],
}

/// Adds each feature's contribution to target `target` of `e` (times `scale`) to `phi`; `None`
/// when a row is shorter than a feature the trees test.
pub fn add_contributions(
    e: &Ensemble,
    target: u32,
    scale: f64,
    x: &[f32],
    z: &[f32],
    phi: &mut [f64],
) -> Option<()> {
    match e.uniform {
        Some(Mode::Leq) => walk::<0>(e, target, scale, x, z, phi),
        Some(Mode::Lt) => walk::<1>(e, target, scale, x, z, phi),
        Some(Mode::Gte) => walk::<2>(e, target, scale, x, z, phi),
        Some(Mode::Gt) => walk::<3>(e, target, scale, x, z, phi),
        _ => walk::<255>(e, target, scale, x, z, phi),
    }
}

fn walk<const M: u8>(
    e: &Ensemble,
    target: u32,
    scale: f64,
    x: &[f32],
    z: &[f32],
    phi: &mut [f64],
) -> Option<()> {
    let weights = weight_table(e.depth.min(MAX_TREE_DEPTH) + 1);
    let mut walk = Walk::<M> {
        e,
        x,
        z,
        target,
        scale,
        side: vec![Side::Open; phi.len()],
        on_path: Vec::with_capacity(MAX_TREE_DEPTH),
        weights: &weights,
        phi,
    };
    for &root in &e.roots {
        walk.node(root as usize, 0, 0, 0)?;
    }
    Some(())
}

/// `a! b! / (a + b + 1)!` for `a, b < n`, built by recurrences (no factorial overflow).
fn weight_table(n: usize) -> Vec<Vec<f64>> {
    // w(a, 0) = 1/(a+1); w(a, b) = w(a, b−1) · b / (a + b + 1).
    (0..n)
        .map(|a| {
            let mut row = Vec::with_capacity(n);
            let mut w = 1.0 / (a as f64 + 1.0);
            row.push(w);
            for b in 1..n {
                w *= b as f64 / (a + b + 1) as f64;
                row.push(w);
            }
            row
        })
        .collect()
}

impl<const M: u8> Walk<'_, M> {
    fn node(&mut self, i: usize, nx: usize, nz: usize, depth: usize) -> Option<()> {
        if depth > MAX_TREE_DEPTH {
            return None;
        }
        let node = *self.e.nodes.get(i)?;
        if node.mode == Mode::Leaf {
            return self.leaf(node.a as usize, node.b as usize, nx, nz);
        }
        let f = node.feature as usize;
        let gx = goes_true_as::<M>(&node, *self.x.get(f)?, self.e);
        let gz = goes_true_as::<M>(&node, *self.z.get(f)?, self.e);
        let child = |t: bool| if t { node.a } else { node.b } as usize;
        if gx == gz {
            return self.node(child(gx), nx, nz, depth + 1);
        }
        match *self.side.get(f)? {
            Side::X => self.node(child(gx), nx, nz, depth + 1),
            Side::Z => self.node(child(gz), nx, nz, depth + 1),
            Side::Open => {
                for (side, go) in [(Side::X, gx), (Side::Z, gz)] {
                    *self.side.get_mut(f)? = side;
                    self.on_path.push(f);
                    let (ax, az) = if side == Side::X {
                        (nx + 1, nz)
                    } else {
                        (nx, nz + 1)
                    };
                    let done = self.node(child(go), ax, az, depth + 1);
                    self.on_path.pop();
                    *self.side.get_mut(f)? = Side::Open;
                    done?;
                }
                Some(())
            }
        }
    }

    fn leaf(&mut self, start: usize, len: usize, nx: usize, nz: usize) -> Option<()> {
        if nx + nz == 0 {
            return Some(());
        }
        let mut v = 0.0;
        for j in start..start + len {
            if *self.e.leaf_target.get(j)? == self.target {
                v += *self.e.leaf_weight.get(j)?;
            }
        }
        v *= self.scale;
        if v == 0.0 {
            return Some(());
        }
        let wx = nx
            .checked_sub(1)
            .and_then(|a| self.weights.get(a)?.get(nz))
            .copied();
        let wz = nz
            .checked_sub(1)
            .and_then(|b| self.weights.get(nx)?.get(b))
            .copied();
        for &f in &self.on_path {
            let slot = self.phi.get_mut(f)?;
            match self.side.get(f)? {
                Side::X => *slot += v * wx?,
                Side::Z => *slot -= v * wz?,
                Side::Open => {}
            }
        }
        Some(())
    }
}
