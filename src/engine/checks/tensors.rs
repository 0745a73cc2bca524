//! Checks on tensors and on what they size: every tensor's type, length and values, what operators
//! sized by constants would allocate, and `Gather` indices.

use std::collections::HashMap;

use crate::engine::LoadOptions;
use crate::engine::pb;
use crate::engine::pb::tensor_proto::{DataLocation, DataType};
use crate::error::{Error, ErrorKind, Result};

/// Operators whose output size comes from an input's values.
const SIZED_BY_VALUES: &[(&str, usize)] = &[("ConstantOfShape", 0), ("Expand", 1), ("Tile", 1)];

/// Element count of a tensor shape, refusing negative or overflowing dimensions.
pub(super) fn element_count(dims: &[i64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| {
        u64::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    })
}

pub(super) fn check_tensor(t: &pb::TensorProto, options: &LoadOptions) -> Result<()> {
    let name = if t.name.is_empty() {
        "(unnamed)"
    } else {
        t.name.as_str()
    };
    if t.data_location == Some(DataLocation::External as i32) || !t.external_data.is_empty() {
        return Err(Error::new(
            ErrorKind::ModelUnsupported,
            format!(
                "tensor `{name}` is stored in an external data file, which a page cannot open; save the model with all weights inside the .onnx file"
            ),
        ));
    }
    let count = element_count(&t.dims).ok_or_else(|| {
        Error::new(
            ErrorKind::ModelFormat,
            format!("tensor `{name}` has an invalid shape {:?}", t.dims),
        )
    })?;
    if count > options.max_elements {
        return Err(Error::new(
            ErrorKind::ModelTooLarge,
            format!(
                "tensor `{name}` holds {count} values, above the limit of {}",
                options.max_elements
            ),
        ));
    }
    let data_type = DataType::try_from(t.data_type).unwrap_or(DataType::Undefined);
    let width: Option<u64> = match data_type {
        DataType::Float | DataType::Int32 | DataType::Uint32 => Some(4),
        DataType::Double | DataType::Int64 | DataType::Uint64 => Some(8),
        DataType::Float16 | DataType::Bfloat16 | DataType::Int16 | DataType::Uint16 => Some(2),
        DataType::Int8 | DataType::Uint8 | DataType::Bool => Some(1),
        DataType::String => {
            return Err(Error::new(
                ErrorKind::ModelUnsupported,
                format!("tensor `{name}` holds strings; a scoring model's weights must be numbers"),
            ));
        }
        _ => {
            return Err(Error::new(
                ErrorKind::ModelUnsupported,
                format!(
                    "tensor `{name}` has data type {}, which this scorer does not run",
                    t.data_type
                ),
            ));
        }
    };
    if !t.raw_data.is_empty()
        && let Some(width) = width
        && Some(t.raw_data.len() as u64) != count.checked_mul(width)
    {
        return Err(Error::new(
            ErrorKind::ModelFormat,
            format!(
                "tensor `{name}` declares {count} values but stores {} bytes; the file is corrupt",
                t.raw_data.len()
            ),
        ));
    }
    let finite = match data_type {
        DataType::Float => {
            t.float_data.iter().all(|v| v.is_finite())
                && t.raw_data.chunks_exact(4).all(|c| {
                    <[u8; 4]>::try_from(c)
                        .map(f32::from_le_bytes)
                        .is_ok_and(f32::is_finite)
                })
        }
        DataType::Double => {
            t.double_data.iter().all(|v| v.is_finite())
                && t.raw_data.chunks_exact(8).all(|c| {
                    <[u8; 8]>::try_from(c)
                        .map(f64::from_le_bytes)
                        .is_ok_and(f64::is_finite)
                })
        }
        // Half floats: all-ones exponent means infinity or NaN.
        DataType::Float16 => t
            .raw_data
            .chunks_exact(2)
            .all(|c| matches!(c, [_, hi] if hi & 0x7c != 0x7c)),
        _ => true,
    };
    if !finite {
        return Err(Error::new(
            ErrorKind::ModelInvalid,
            format!(
                "tensor `{name}` holds NaN or infinite weights; the model is broken — retrain or re-export it"
            ),
        ));
    }
    Ok(())
}

/// Refuses ops that would allocate more than the limit, judged before anything runs.
pub(super) fn check_allocation(
    node: &pb::NodeProto,
    node_name: &str,
    constants: &HashMap<&str, &pb::TensorProto>,
    producers: &HashMap<&str, &pb::NodeProto>,
    options: &LoadOptions,
) -> Result<()> {
    let too_large = |count: String| {
        Error::new(
            ErrorKind::ModelTooLarge,
            format!(
                "node `{node_name}` ({}) would allocate {count} values, above the limit of {}; the model is malformed or hostile",
                node.op_type, options.max_elements
            ),
        )
    };
    let op = node.op_type.as_str();
    let sized_by = SIZED_BY_VALUES
        .iter()
        .find(|(name, _)| *name == op)
        .map(|(_, ix)| *ix);
    let size_inputs: Vec<usize> = match (op, sized_by) {
        ("Range", _) => vec![0, 1, 2],
        (_, Some(ix)) => vec![ix],
        _ => return Ok(()),
    };
    let mut values = Vec::new();
    for ix in size_inputs {
        let Some(input) = node.input.get(ix) else {
            return Err(Error::new(
                ErrorKind::ModelFormat,
                format!("node `{node_name}` ({op}) lacks input {ix}"),
            ));
        };
        match constants.get(input.as_str()) {
            Some(t) => values.push(tensor_values(t).ok_or_else(|| {
                Error::new(
                    ErrorKind::ModelFormat,
                    format!("node `{node_name}` ({op}) has an unreadable size input"),
                )
            })?),
            // A size read off an existing tensor is bounded by that tensor.
            None if producers
                .get(input.as_str())
                .is_some_and(|p| p.op_type == "Shape") =>
            {
                return Ok(());
            }
            None => {
                return Err(Error::new(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "node `{node_name}` ({op}) takes its size from values computed while scoring; this scorer only runs models whose allocations are known when they load"
                    ),
                ));
            }
        }
    }
    let count: f64 = match (op, values.as_slice()) {
        ("Range", [start, limit, delta]) => match (start.first(), limit.first(), delta.first()) {
            (Some(s), Some(l), Some(d)) if *d != 0.0 => ((l - s) / d).ceil().max(0.0),
            _ => {
                return Err(Error::new(
                    ErrorKind::ModelFormat,
                    format!("node `{node_name}` (Range) has an invalid step"),
                ));
            }
        },
        (_, [shape]) if shape.iter().any(|v| *v < 0.0) => {
            return Err(Error::new(
                ErrorKind::ModelInvalid,
                format!(
                    "node `{node_name}` ({op}) asks for a negative size; the file is corrupt — export it again"
                ),
            ));
        }
        (_, [shape]) => shape.iter().product(),
        _ => 0.0,
    };
    if !count.is_finite() || count > options.max_elements as f64 {
        return Err(too_large(format!("{count:e}")));
    }
    Ok(())
}

/// A `Gather` with constant indices must stay inside the axis it reads, when that axis's length is
/// known here (a constant table, or the input's feature axis): tract indexes without checking and
/// panics (found by fuzzing).
pub(super) fn check_gather(
    node: &pb::NodeProto,
    node_name: &str,
    (input, k): (&str, usize),
    constants: &HashMap<&str, &pb::TensorProto>,
) -> Result<()> {
    if node.op_type != "Gather" {
        return Ok(());
    }
    let (Some(data), Some(indices)) = (node.input.first(), node.input.get(1)) else {
        return Ok(());
    };
    let axis = node
        .attribute
        .iter()
        .find(|a| a.name == "axis")
        .map_or(0, |a| a.i);
    // Rows of the batch are applicants: picking among them would make one applicant's score
    // depend on the others (and tract slices out of bounds for an index past the batch).
    if data == input && (axis == 0 || axis == -2) {
        return Err(Error::new(
            ErrorKind::ModelContract,
            format!(
                "node `{node_name}` (Gather) picks rows of the batch (axis 0), so one applicant's score would depend on the others; gather the input's columns (axis 1)"
            ),
        ));
    }
    let Some(indices) = constants
        .get(indices.as_str())
        .and_then(|t| tensor_values(t))
    else {
        return Ok(());
    };
    let axis_len: Option<i64> = match constants.get(data.as_str()) {
        Some(table) => {
            let rank = table.dims.len() as i64;
            let axis = if axis < 0 { axis + rank } else { axis };
            usize::try_from(axis)
                .ok()
                .and_then(|a| table.dims.get(a))
                .copied()
        }
        None if data == input && (axis == 1 || axis == -1) => Some(k as i64),
        None => None,
    };
    let Some(len) = axis_len else { return Ok(()) };
    if let Some(bad) = indices
        .iter()
        .find(|&&i| i.fract() != 0.0 || i < -(len as f64) || i >= len as f64)
    {
        return Err(Error::new(
            ErrorKind::ModelInvalid,
            format!(
                "node `{node_name}` (Gather) reads index {bad} of an axis of length {len}; the file is corrupt — export it again"
            ),
        ));
    }
    Ok(())
}

/// The values of a small integer or float constant, as f64.
pub(in crate::engine) fn tensor_values(t: &pb::TensorProto) -> Option<Vec<f64>> {
    let data_type = DataType::try_from(t.data_type).ok()?;
    let raw = &t.raw_data;
    let values: Vec<f64> = match data_type {
        DataType::Int64 if raw.is_empty() => t.int64_data.iter().map(|&v| v as f64).collect(),
        DataType::Int64 => raw
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok())
            .map(|b| i64::from_le_bytes(b) as f64)
            .collect(),
        DataType::Int32 if raw.is_empty() => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
        DataType::Int32 => raw
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok())
            .map(|b| f64::from(i32::from_le_bytes(b)))
            .collect(),
        DataType::Float if raw.is_empty() => t.float_data.iter().map(|&v| f64::from(v)).collect(),
        DataType::Float => raw
            .chunks_exact(4)
            .filter_map(|c| c.try_into().ok())
            .map(|b| f64::from(f32::from_le_bytes(b)))
            .collect(),
        DataType::Double if raw.is_empty() => t.double_data.clone(),
        DataType::Double => raw
            .chunks_exact(8)
            .filter_map(|c| c.try_into().ok())
            .map(f64::from_le_bytes)
            .collect(),
        _ => return None,
    };
    Some(values)
}

/// Operators whose output has at most as many values as their largest input.
const FOLD_KEEPS_SIZE: &[&str] = &[
    "Abs",
    "Acos",
    "Acosh",
    "ArgMax",
    "ArgMin",
    "Asin",
    "Asinh",
    "Atan",
    "Atanh",
    "Cast",
    "CastLike",
    "Ceil",
    "Clip",
    "Cos",
    "Cosh",
    "Erf",
    "Exp",
    "Flatten",
    "Floor",
    "HardSigmoid",
    "Identity",
    "IsInf",
    "IsNaN",
    "LeakyRelu",
    "Log",
    "LogSoftmax",
    "Neg",
    "NonZero",
    "Not",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceProd",
    "ReduceSum",
    "ReduceSumSquare",
    "Reciprocal",
    "Relu",
    "Reshape",
    "Round",
    "Shape",
    "Sigmoid",
    "Sign",
    "Sin",
    "Sinh",
    "Size",
    "Slice",
    "Softmax",
    "Softplus",
    "Softsign",
    "Sqrt",
    "Squeeze",
    "Tan",
    "Tanh",
    "Transpose",
    "Unsqueeze",
];

/// Operators whose output has at most the product of their inputs' sizes (broadcasting,
/// matrix products).
const FOLD_MULTIPLIES_SIZE: &[&str] = &[
    "Add",
    "And",
    "BitShift",
    "Div",
    "Equal",
    "Gemm",
    "Greater",
    "GreaterOrEqual",
    "Less",
    "LessOrEqual",
    "MatMul",
    "Max",
    "Mean",
    "Min",
    "Mod",
    "Mul",
    "Or",
    "Pow",
    "PRelu",
    "Sub",
    "Sum",
    "Where",
    "Xor",
];

/// tract evaluates a node whose inputs are all constants while it reads the model (constant
/// folding), before any size check of its own: such a node must have an output bounded here, by
/// its inputs' sizes, or it is refused. `folded` holds an upper bound of the number of values of
/// every tensor computed from constants only (initializers and `Constant` outputs included);
/// this node's outputs are added when they are.
pub(super) fn check_constant_folding<'g>(
    node: &'g pb::NodeProto,
    node_name: &str,
    folded: &mut HashMap<&'g str, u64>,
    options: &LoadOptions,
) -> Result<()> {
    let op = node.op_type.as_str();
    let bound = if node.domain.is_empty() && (op == "Shape" || op == "Size") {
        // The input's shape is known when tract reads the model (but for the batch size), so
        // what is computed from it may be folded too: count it as a constant of a few values.
        Some(64)
    } else if op == "Constant" {
        Some(node.attribute.iter().fold(1u64, |acc, a| {
            let listed = a.floats.len().max(a.ints.len()).max(a.strings.len()) as u64;
            let tensor =
                a.t.as_ref()
                    .and_then(|t| element_count(&t.dims))
                    .unwrap_or(0);
            acc.max(listed).max(tensor)
        }))
    } else {
        let inputs: Option<Vec<u64>> = node
            .input
            .iter()
            .filter(|i| !i.is_empty())
            .map(|i| folded.get(i.as_str()).copied())
            .collect();
        let Some(inputs) = inputs.filter(|i| !i.is_empty()) else {
            // Some input is computed while scoring: nothing is folded at load.
            return Ok(());
        };
        let largest = inputs.iter().copied().max().unwrap_or(1);
        if node.domain.is_empty() && FOLD_KEEPS_SIZE.contains(&op) {
            Some(largest)
        } else if node.domain.is_empty() && FOLD_MULTIPLIES_SIZE.contains(&op) {
            Some(
                inputs
                    .iter()
                    .fold(1u64, |acc, &n| acc.saturating_mul(n.max(1))),
            )
        } else if node.domain.is_empty() && op == "Concat" {
            Some(inputs.iter().fold(0u64, |acc, &n| acc.saturating_add(n)))
        } else if node.domain.is_empty() && SIZED_BY_VALUES.iter().any(|(n, _)| *n == op)
            || op == "Range"
        {
            // Bounded by `check_allocation`.
            Some(options.max_elements)
        } else {
            return Err(Error::new(
                ErrorKind::ModelUnsupported,
                format!(
                    "node `{node_name}` ({op}) computes a tensor from constants only, which the engine would evaluate while loading the model without a bound on its size; fold the model's constants before exporting it (e.g. onnxsim, or onnxruntime's offline optimization)"
                ),
            ));
        }
    };
    if let Some(bound) = bound {
        if bound > options.max_elements {
            return Err(Error::new(
                ErrorKind::ModelTooLarge,
                format!(
                    "node `{node_name}` ({op}) computes a tensor from constants that may hold up to {bound} values, above the limit of {}; the model is malformed or hostile",
                    options.max_elements
                ),
            ));
        }
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            folded.insert(out.as_str(), bound);
        }
    }
    Ok(())
}
