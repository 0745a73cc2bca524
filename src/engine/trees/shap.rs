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
//!
//! The baseline's side of every branch, its own sum and the weights above are worked out once
//! per baseline ([`Baseline`]; the pipeline keeps the schema's); a walk follows the branches where
//! `x` and `z` agree without recursing, and sums `x`'s own leaves on the way, so the applicant's
//! log-odds come with its contributions.

use super::ensemble::{Ensemble, MAX_TREE_DEPTH, Mode, goes_true_as};

/// Which side of a feature a path took.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Open,
    X,
    Z,
}

/// What TreeSHAP reuses for one baseline applicant and one target of one ensemble.
#[derive(Clone, Debug)]
pub struct Baseline {
    z: Vec<f32>,
    target: u32,
    /// Per node: whether `z` takes the true branch there (false for leaves).
    z_true: Vec<bool>,
    /// Per split of the padded layout (`Ensemble::perfect`), the same.
    z_split: Option<Vec<bool>>,
    /// The target's weights summed over the leaves `z` reaches, tree after tree (as
    /// `Ensemble::accumulate` sums them).
    z_sum: f64,
    /// `weights[a · n + b] = a! b! / (a + b + 1)!` for `a, b < n`.
    weights: Vec<f64>,
    n: usize,
}

impl Baseline {
    /// The baseline `z`'s walks through `e` for target `target`; `None` when `z` is shorter than
    /// a feature the trees test.
    pub fn new(e: &Ensemble, target: u32, z: &[f32]) -> Option<Baseline> {
        let z_true = e
            .nodes
            .iter()
            .map(|node| match node.mode {
                Mode::Leaf => false,
                // A node `z` cannot reach may test a feature past the row: the walk then fails
                // on `x`'s value before it reads this.
                _ => z
                    .get(usize::from(node.feature))
                    .is_some_and(|&v| node.goes_true(v, e)),
            })
            .collect();
        let mut z_sum = 0.0;
        for &root in &e.roots {
            let (start, len) = e.leaf(root, z)?;
            for j in start..start + len {
                if *e.leaf_target.get(j)? == target {
                    z_sum += *e.leaf_weight.get(j)?;
                }
            }
        }
        let n = e.depth.min(MAX_TREE_DEPTH) + 1;
        let z_split = match (&e.perfect, e.uniform) {
            (Some(p), Some(mode)) => Some(p.sides(mode, z)?),
            _ => None,
        };
        Some(Baseline {
            z: z.to_vec(),
            target,
            z_true,
            z_split,
            z_sum,
            weights: weight_table(n),
            n,
        })
    }

    /// Whether this is `z`'s (bit for bit) for `target`.
    pub fn is_for(&self, target: u32, z: &[f32]) -> bool {
        self.target == target
            && self.z.len() == z.len()
            && self
                .z
                .iter()
                .zip(z)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }

    /// The target's weights summed over the leaves the baseline reaches.
    pub fn sum(&self) -> f64 {
        self.z_sum
    }
}

struct Walk<'a, const M: u8> {
    e: &'a Ensemble,
    x: &'a [f32],
    base: &'a Baseline,
    scale: f64,
    side: Vec<Side>,
    /// Features currently on each side, in the order they were put there.
    on_path: Vec<usize>,
    phi: &'a mut [f64],
    /// The target's weights summed over the leaves `x` reaches.
    x_sum: f64,
    /// Whether the walks sum `x`'s leaves (else the padded layout's walk does).
    sum_x: bool,
}

/// Adds each feature's contribution to `base`'s target of `e` (times `scale`) to `phi`, and
/// returns the target's weights summed over the leaves `x` reaches (as
/// `Ensemble::accumulate` sums them); `None` when a row is shorter than a feature the trees test.
pub fn add_contributions(
    e: &Ensemble,
    base: &Baseline,
    scale: f64,
    x: &[f32],
    phi: &mut [f64],
) -> Option<f64> {
    match e.uniform {
        Some(Mode::Leq) => walk::<0>(e, base, scale, x, phi),
        Some(Mode::Lt) => walk::<1>(e, base, scale, x, phi),
        Some(Mode::Gte) => walk::<2>(e, base, scale, x, phi),
        Some(Mode::Gt) => walk::<3>(e, base, scale, x, phi),
        _ => walk::<255>(e, base, scale, x, phi),
    }
}

fn walk<const M: u8>(
    e: &Ensemble,
    base: &Baseline,
    scale: f64,
    x: &[f32],
    phi: &mut [f64],
) -> Option<f64> {
    if x.len() != base.z.len() || base.z_true.len() != e.nodes.len() {
        return None;
    }
    let mut walk = Walk::<M> {
        e,
        x,
        base,
        scale,
        side: vec![Side::Open; phi.len()],
        on_path: Vec::with_capacity(MAX_TREE_DEPTH),
        phi,
        x_sum: 0.0,
        sum_x: true,
    };
    // Shallow trees: one branch-free pass over the padded layout finds `x`'s leaves and the
    // trees where `x`'s path leaves the baseline's; only those are walked (in the others both
    // reach the same leaf, and every feature's share is 0).
    if let (Some(p), Some(z_split), true) = (&e.perfect, &base.z_split, M < 4) {
        walk.sum_x = false;
        p.walk_row::<M>(x, Some(z_split), |tree, w, target, apart| {
            if target == base.target {
                walk.x_sum += w;
            }
            if apart {
                walk.node(*e.roots.get(tree)? as usize, 0, 0, 0)?;
            }
            Some(())
        })?;
        return Some(walk.x_sum);
    }
    for &root in &e.roots {
        walk.node(root as usize, 0, 0, 0)?;
    }
    Some(walk.x_sum)
}

/// `a! b! / (a + b + 1)!` for `a, b < n` (row `a`, column `b`), built by recurrences (no
/// factorial overflow).
fn weight_table(n: usize) -> Vec<f64> {
    // w(a, 0) = 1/(a+1); w(a, b) = w(a, b−1) · b / (a + b + 1).
    let mut table = Vec::with_capacity(n * n);
    for a in 0..n {
        let mut w = 1.0 / (a as f64 + 1.0);
        table.push(w);
        for b in 1..n {
            w *= b as f64 / (a + b + 1) as f64;
            table.push(w);
        }
    }
    table
}

impl<const M: u8> Walk<'_, M> {
    fn node(&mut self, mut i: usize, nx: usize, nz: usize, mut depth: usize) -> Option<()> {
        // Down the branches where the path has no choice; recursion only where it splits.
        loop {
            if depth > MAX_TREE_DEPTH {
                return None;
            }
            let node = *self.e.nodes.get(i)?;
            if node.mode == Mode::Leaf {
                return self.leaf(node.a as usize, node.b as usize, nx, nz);
            }
            let f = node.feature as usize;
            let gx = goes_true_as::<M>(&node, *self.x.get(f)?, self.e);
            let gz = *self.base.z_true.get(i)?;
            let child = |t: bool| if t { node.a } else { node.b } as usize;
            depth += 1;
            if gx == gz {
                i = child(gx);
                continue;
            }
            match *self.side.get(f)? {
                Side::X => i = child(gx),
                Side::Z => i = child(gz),
                Side::Open => {
                    for (side, go) in [(Side::X, gx), (Side::Z, gz)] {
                        *self.side.get_mut(f)? = side;
                        self.on_path.push(f);
                        let (ax, az) = if side == Side::X {
                            (nx + 1, nz)
                        } else {
                            (nx, nz + 1)
                        };
                        let done = self.node(child(go), ax, az, depth);
                        self.on_path.pop();
                        *self.side.get_mut(f)? = Side::Open;
                        done?;
                    }
                    return Some(());
                }
            }
        }
    }

    fn leaf(&mut self, start: usize, len: usize, nx: usize, nz: usize) -> Option<()> {
        let target = self.base.target;
        let mut v = 0.0;
        for j in start..start + len {
            if *self.e.leaf_target.get(j)? == target {
                let w = *self.e.leaf_weight.get(j)?;
                v += w;
                // The one leaf of this tree that `x` itself reaches.
                if nz == 0 && self.sum_x {
                    self.x_sum += w;
                }
            }
        }
        if nx + nz == 0 {
            return Some(());
        }
        v *= self.scale;
        if v == 0.0 {
            return Some(());
        }
        let n = self.base.n;
        if nx >= n || nz >= n {
            return None;
        }
        let table = &self.base.weights;
        let wx = nx
            .checked_sub(1)
            .and_then(|a| table.get(a * n + nz))
            .copied();
        let wz = nz
            .checked_sub(1)
            .and_then(|b| table.get(nx * n + b))
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
