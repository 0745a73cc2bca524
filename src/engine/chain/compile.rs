//! Reading a checked graph into a [`RowChain`]: the walk from the probability output back to the
//! input, each operator turned into a step, and the chain's bookkeeping for the leave-one-out
//! variants.

use std::collections::{HashMap, HashSet};

use super::dense::Dense;
use super::{Arith, Compare, RowChain, Step};
use crate::engine::checks::tensor_values;
use crate::engine::pb;
use crate::engine::pb::tensor_proto::DataType;

/// ONNX's `Cast` target for float32.
const ONNX_FLOAT: i64 = 1;
/// Widest step the chain runs, in columns (the row buffers hold this many values): tract's
/// per-tensor limit for a run of 1,024 rows of float32 (`MAX_TENSOR_BYTES` in engine/tract.rs),
/// so the lite build never runs a model the full build refuses for its size.
const MAX_WIDTH: usize = 1 << 14;
/// Most values of one row's trace (every step's output of a row, for leave-one-out): half of
/// tract's limit for all of a run's tensors (`MAX_RUN_BYTES`), the other half left to the
/// weights (a model file is at most 64 MiB).
const MAX_TRACE_VALUES: usize = 1 << 15;

/// What flows between operators, for checking that the chain is well typed.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Float,
    Bool,
}

/// The model's constants, read once.
struct Constants<'a>(HashMap<&'a str, &'a pb::TensorProto>);

impl Constants<'_> {
    /// Float32 values and dims of a constant.
    fn floats(&self, name: &str) -> Option<(Vec<f32>, Vec<i64>)> {
        let t = self.0.get(name)?;
        if t.data_type != DataType::Float as i32 {
            return None;
        }
        let values: Vec<f32> = tensor_values(t)?.into_iter().map(|v| v as f32).collect();
        let count: i64 = t.dims.iter().product();
        (usize::try_from(count).ok()? == values.len()).then(|| (values, t.dims.clone()))
    }

    /// A constant broadcast along the batch against a row of `width`: one value, or one per column.
    fn row(&self, name: &str, width: usize) -> Option<Vec<f32>> {
        let (values, dims) = self.floats(name)?;
        // Shapes [], [n], [1, n] (and more leading ones) keep the output [N, width].
        let leading = dims.len().saturating_sub(1);
        if dims.iter().take(leading).any(|&d| d != 1) || dims.len() > 2 {
            return None;
        }
        (values.len() == 1 || values.len() == width).then_some(values)
    }

    fn is_constant(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

fn int_attribute(node: &pb::NodeProto, name: &str) -> Option<i64> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

fn float_attribute(node: &pb::NodeProto, name: &str) -> Option<f32> {
    node.attribute.iter().find(|a| a.name == name).map(|a| a.f)
}

/// Compiles the chain from `input` to `pd` (with `logit` on the way, if given), or `None` when
/// the graph is anything else: branches, other operators, other shapes. `None` is not an error;
/// tract then runs the model.
pub(crate) fn compile(
    graph: &pb::GraphProto,
    input: &str,
    k: usize,
    pd: &str,
    logit: Option<&str>,
) -> Option<RowChain> {
    let constants = Constants(
        graph
            .initializer
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect(),
    );
    let mut producers: HashMap<&str, &pb::NodeProto> = HashMap::new();
    for node in &graph.node {
        for output in node.output.iter().filter(|o| !o.is_empty()) {
            producers.insert(output.as_str(), node);
        }
    }
    // Walk back from the probability to the input: every node on the way takes exactly one
    // value that is not a constant.
    let mut chain = Vec::new();
    let mut seen = HashSet::new();
    let mut current = pd;
    while current != input {
        let node = producers.get(current)?;
        if node.output.len() != 1 || !node.domain.is_empty() || !seen.insert(current) {
            return None;
        }
        let mut variable = node
            .input
            .iter()
            .filter(|i| !i.is_empty() && !constants.is_constant(i));
        let (Some(previous), None) = (variable.next(), variable.next()) else {
            return None;
        };
        chain.push(*node);
        current = previous.as_str();
    }
    chain.reverse();

    let mut steps = Vec::new();
    let (mut width, mut kind) = (k, Kind::Float);
    let mut max_width = k;
    let mut logit_after = None;
    // After a Squeeze to rank 1 only `Identity` may follow: broadcasting and matrix products
    // would no longer be row-wise.
    let mut squeezed = false;
    for node in chain {
        if squeezed && node.op_type != "Identity" {
            return None;
        }
        let variable_first = node
            .input
            .first()
            .is_some_and(|i| !constants.is_constant(i));
        let other = node
            .input
            .iter()
            .find(|i| !i.is_empty() && constants.is_constant(i));
        let float_in = kind == Kind::Float;
        match node.op_type.as_str() {
            "Identity" => {}
            // `[N,1]` to `[N]`: the same one value per row. Only with explicit axes `[1]` (an
            // input from opset 13, an attribute before): without them a batch of one would
            // lose its batch axis too.
            "Squeeze" if width == 1 => {
                let axes: Vec<i64> = match node.input.get(1).filter(|a| !a.is_empty()) {
                    Some(a) => tensor_values(constants.0.get(a.as_str())?)?
                        .into_iter()
                        .map(|v| v as i64)
                        .collect(),
                    None => node
                        .attribute
                        .iter()
                        .find(|a| a.name == "axes")
                        .map(|a| a.ints.clone())?,
                };
                if !matches!(axes.as_slice(), [1] | [-1]) {
                    return None;
                }
                squeezed = true;
            }
            "Cast" if int_attribute(node, "to") == Some(ONNX_FLOAT) => kind = Kind::Float,
            "Relu" if float_in => steps.push(Step::Relu),
            "Sigmoid" if float_in => steps.push(Step::Sigmoid),
            "Tanh" if float_in => steps.push(Step::Tanh),
            "Gather" if float_in && variable_first => {
                let axis = int_attribute(node, "axis").unwrap_or(0);
                if axis != 1 && axis != -1 {
                    return None;
                }
                let t = constants.0.get(other?.as_str())?;
                if t.dims.len() != 1
                    || !(t.data_type == DataType::Int64 as i32
                        || t.data_type == DataType::Int32 as i32)
                {
                    return None;
                }
                let columns = tensor_values(t)?
                    .into_iter()
                    .map(|i| {
                        let i = i as i64;
                        let i = if i < 0 { i + width as i64 } else { i };
                        usize::try_from(i).ok().filter(|&i| i < width)
                    })
                    .collect::<Option<Vec<usize>>>()?;
                width = columns.len();
                steps.push(Step::Gather(columns));
            }
            op @ ("Greater" | "GreaterOrEqual" | "Less" | "LessOrEqual" | "Equal") if float_in => {
                let compare = match op {
                    "Greater" => Compare::Greater,
                    "GreaterOrEqual" => Compare::GreaterOrEqual,
                    "Less" => Compare::Less,
                    "LessOrEqual" => Compare::LessOrEqual,
                    _ => Compare::Equal,
                };
                let compare = if variable_first {
                    compare
                } else {
                    compare.swapped()
                };
                steps.push(Step::Compare(compare, constants.row(other?, width)?));
                kind = Kind::Bool;
            }
            op @ ("Add" | "Sub" | "Mul" | "Div") if float_in => {
                let arith = match (op, variable_first) {
                    ("Add", _) => Arith::Add,
                    ("Mul", _) => Arith::Mul,
                    ("Sub", true) => Arith::Sub,
                    ("Sub", false) => Arith::SubFrom,
                    ("Div", true) => Arith::Div,
                    _ => Arith::DivInto,
                };
                steps.push(Step::Arith(arith, constants.row(other?, width)?));
            }
            "MatMul" if float_in && variable_first => {
                let (weights, dims) = constants.floats(other?)?;
                let [rows, outputs] = dims.as_slice() else {
                    return None;
                };
                let outputs = usize::try_from(*outputs).ok()?;
                if usize::try_from(*rows).ok()? != width || outputs == 0 {
                    return None;
                }
                steps.push(Step::Dense(Dense::new(&weights, width, outputs)));
                width = outputs;
            }
            "Gemm" if float_in && variable_first => {
                if int_attribute(node, "transA").unwrap_or(0) != 0 {
                    return None;
                }
                let b_name = node.input.get(1)?;
                let (b, dims) = constants.floats(b_name)?;
                let [d0, d1] = dims.as_slice() else {
                    return None;
                };
                let (d0, d1) = (usize::try_from(*d0).ok()?, usize::try_from(*d1).ok()?);
                let trans_b = int_attribute(node, "transB").unwrap_or(0) != 0;
                let (rows, outputs) = if trans_b { (d1, d0) } else { (d0, d1) };
                if rows != width || outputs == 0 {
                    return None;
                }
                let alpha = float_attribute(node, "alpha").unwrap_or(1.0);
                let weights: Vec<f32> = if trans_b {
                    (0..rows)
                        .flat_map(|r| (0..outputs).map(move |c| (r, c)))
                        .map(|(r, c)| b.get(c * rows + r).map(|v| v * alpha))
                        .collect::<Option<_>>()?
                } else {
                    b.iter().map(|v| v * alpha).collect()
                };
                steps.push(Step::Dense(Dense::new(&weights, rows, outputs)));
                width = outputs;
                if let Some(c_name) = node.input.get(2).filter(|c| !c.is_empty()) {
                    let beta = float_attribute(node, "beta").unwrap_or(1.0);
                    let c = constants.row(c_name, width)?;
                    steps.push(Step::Arith(
                        Arith::Add,
                        c.into_iter().map(|v| v * beta).collect(),
                    ));
                }
            }
            _ => return None,
        }
        max_width = max_width.max(width);
        if logit == node.output.first().map(String::as_str) {
            if kind != Kind::Float || width != 1 {
                return None;
            }
            logit_after = Some(steps.len());
        }
    }
    // The probability of default: [N,1] (or squeezed to [N]), or class 1 of a binary
    // classifier's [N,2].
    let pd_column = match width {
        1 => 0,
        2 => 1,
        _ => return None,
    };
    if kind != Kind::Float || (logit.is_some() && logit_after.is_none()) {
        return None;
    }
    // Where each step's output sits in a trace, and which Gather outputs read each input column.
    let (mut offsets, mut gather_sources) = (vec![0, k], Vec::with_capacity(steps.len()));
    let mut width = k;
    for step in &steps {
        let mut sources = Vec::new();
        width = match step {
            Step::Gather(columns) => {
                sources = vec![Vec::new(); width];
                for (o, &c) in columns.iter().enumerate() {
                    sources.get_mut(c)?.push(o);
                }
                columns.len()
            }
            Step::Dense(dense) => dense.outputs,
            _ => width,
        };
        gather_sources.push(sources);
        offsets.push(offsets.last()? + width);
    }
    // Memory bounded by construction, whatever the batch: a row's trace holds at most
    // MAX_TRACE_VALUES, a step at most MAX_WIDTH columns (a row's leave-one-out variants, one per
    // feature, at most 256 × MAX_WIDTH values: 16 MiB). A wider chain is left to tract, whose plan is bounded
    // from shape inference (engine/tract.rs); in the lite build it needs the full engine.
    if *offsets.last()? > MAX_TRACE_VALUES || max_width > MAX_WIDTH {
        return None;
    }
    Some(RowChain {
        steps,
        k,
        max_width,
        pd_column,
        logit_after,
        offsets,
        gather_sources,
    })
}
