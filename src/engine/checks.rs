//! The checks on an untrusted model, made on its protobuf before any engine sees it. tract alone
//! trusts its input too much for files that come from a user (see `shared/FACTS.md`): it panics on
//! some malformed tensors, allocates whatever a constant op declares, and happily runs models that
//! are not binary classifiers.
//!
//! This file: the size cap, the decode, opsets, the operator allow-list, the graph's order and the
//! contract (one float32 input `[N, k]`, a probability output). `tensors`: every tensor, what
//! operators sized by constants would allocate, `Gather` indices. `ml`: the structure of
//! `ai.onnx.ml` linear models and tree ensembles (the latter also through `trees`' parser).

mod ml;
mod tensors;

use std::collections::{HashMap, HashSet};

use super::LoadOptions;
use super::pb;
use super::pb::tensor_proto::DataType;
use crate::error::{Error, ErrorKind, Result};
use crate::schema::{SCHEMA_METADATA_KEY, Schema};
use ml::{check_linear_model, check_tree_ensemble};

pub(super) use tensors::tensor_values;
use tensors::{
    check_allocation, check_constant_folding, check_gather, check_tensor, element_count,
};

/// Most inputs a model may take.
pub const MAX_FEATURES: usize = 256;
/// Newest default-domain opset accepted; newer ones may change operator meaning.
pub(super) const MAX_OPSET: i64 = 22;
/// Newest `ai.onnx.ml` opset accepted.
const MAX_ML_OPSET: i64 = 5;
/// The `ai.onnx.ml` operators tract runs.
const SUPPORTED_ML_OPS: &[&str] = &[
    "TreeEnsembleClassifier",
    "LinearClassifier",
    "LinearRegressor",
    "Normalizer",
    "CategoryMapper",
];

/// A model that passed every check, with what the engines need to know about it.
pub(super) struct Checked {
    /// The decoded file.
    pub(super) proto: pb::ModelProto,
    /// The graph's one real input.
    pub(super) input: InputInfo,
    /// The schema the model carries, or the generic one for its width.
    pub(super) schema: Schema,
    /// Name of the probability output.
    pub(super) pd_name: String,
    /// Name of the log-odds output, when the model has one.
    pub(super) logit_name: Option<String>,
}

/// Every check on the bytes of an `.onnx` file, in this order: size, decode, opsets, the input
/// contract, the graph (operators, order, tensors, allocations, `ai.onnx.ml` structure), the
/// schema, the outputs.
pub(super) fn check(bytes: &[u8], options: &LoadOptions) -> Result<Checked> {
    if bytes.is_empty() {
        return Err(Error::new(
            ErrorKind::ModelFormat,
            "the model file is empty; choose an .onnx model file",
        ));
    }
    if bytes.len() > options.max_bytes {
        return Err(Error::new(
            ErrorKind::ModelTooLarge,
            format!(
                "the model file is {} MiB, above the limit of {} MiB; a credit model is usually far smaller — check the file",
                bytes.len() >> 20,
                options.max_bytes >> 20
            ),
        ));
    }
    let proto = decode(bytes)?;
    let graph = proto.graph.as_ref().ok_or_else(|| {
        Error::new(
            ErrorKind::ModelFormat,
            "the ONNX file holds no graph; export the model again",
        )
    })?;
    check_opsets(&proto)?;
    let input = check_input(graph)?;
    check_graph(graph, options, &input)?;
    let schema = match proto
        .metadata_props
        .iter()
        .find(|p| p.key == SCHEMA_METADATA_KEY)
    {
        Some(entry) => Schema::from_json(&entry.value, input.k)?,
        None => Schema::generic(input.k),
    };
    let (pd_name, logit_name) = choose_outputs(graph, &schema)?;
    Ok(Checked {
        proto,
        input,
        schema,
        pd_name,
        logit_name,
    })
}

pub(super) fn decode(bytes: &[u8]) -> Result<pb::ModelProto> {
    // prost directly: `tract_onnx::onnx()` would register every operator just to decode.
    use prost::Message;
    pb::ModelProto::decode(bytes).map_err(|e| {
        Error::new(
            ErrorKind::ModelFormat,
            format!(
                "this file is not an ONNX model ({e}); check that you chose the .onnx file and that it was copied completely"
            ),
        )
    })
}

fn check_opsets(proto: &pb::ModelProto) -> Result<()> {
    for import in &proto.opset_import {
        match import.domain.as_str() {
            "" | "ai.onnx" if import.version > MAX_OPSET => {
                return Err(Error::new(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "the model uses ONNX opset {}, newer than this scorer knows ({MAX_OPSET}); export it with target_opset {MAX_OPSET} or lower",
                        import.version
                    ),
                ));
            }
            "ai.onnx.ml" if import.version > MAX_ML_OPSET => {
                return Err(Error::new(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "the model uses ai.onnx.ml opset {}, newer than this scorer knows ({MAX_ML_OPSET}); export it with an older ai.onnx.ml opset",
                        import.version
                    ),
                ));
            }
            "" | "ai.onnx" | "ai.onnx.ml" => {}
            other => {
                return Err(Error::new(
                    ErrorKind::ModelUnsupported,
                    format!(
                        "the model uses operators from the custom domain `{other}`; export it with standard ONNX operators only"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_graph(graph: &pb::GraphProto, options: &LoadOptions, input: &InputInfo) -> Result<()> {
    let input_width = (input.name.as_str(), input.k);
    if !graph.sparse_initializer.is_empty() {
        return Err(Error::new(
            ErrorKind::ModelUnsupported,
            "the model uses sparse initializers; export it with dense weights",
        ));
    }
    let mut constants: HashMap<&str, &pb::TensorProto> = HashMap::new();
    for t in &graph.initializer {
        check_tensor(t, options)?;
        constants.insert(t.name.as_str(), t);
    }
    let mut known: HashSet<&str> = graph.input.iter().map(|i| i.name.as_str()).collect();
    known.extend(constants.keys().copied());
    // Sizes of what is computed from constants only (see `check_constant_folding`).
    let mut folded: HashMap<&str, u64> = graph
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), element_count(&t.dims).unwrap_or(u64::MAX)))
        .collect();
    let mut producers: HashMap<&str, &pb::NodeProto> = HashMap::new();
    for node in &graph.node {
        let node_name = if node.name.is_empty() {
            node.op_type.as_str()
        } else {
            node.name.as_str()
        };
        check_operator(node, node_name)?;
        for input in node.input.iter().filter(|i| !i.is_empty()) {
            if !known.contains(input.as_str()) {
                return Err(Error::new(
                    ErrorKind::ModelFormat,
                    format!(
                        "node `{node_name}` reads `{input}` before anything computes it (the graph has a cycle, a missing tensor, or is not in topological order); export the model again"
                    ),
                ));
            }
        }
        for attr in &node.attribute {
            if let Some(t) = &attr.t {
                check_tensor(t, options)?;
            }
            for t in &attr.tensors {
                check_tensor(t, options)?;
            }
        }
        if node.op_type == "Constant"
            && let (Some(out), Some(t)) = (
                node.output.first(),
                node.attribute.iter().find_map(|a| a.t.as_ref()),
            )
        {
            constants.insert(out.as_str(), t);
        }
        check_allocation(node, node_name, &constants, &producers, options)?;
        check_constant_folding(node, node_name, &mut folded, options)?;
        check_linear_model(node, node_name, input_width)?;
        check_gather(node, node_name, input_width, &constants)?;
        check_tree_ensemble(node, node_name, input_width)?;
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            known.insert(out.as_str());
            producers.insert(out.as_str(), node);
        }
    }
    for out in &graph.output {
        if !known.contains(out.name.as_str()) {
            return Err(Error::new(
                ErrorKind::ModelFormat,
                format!(
                    "the model's output `{}` is not computed by any node; export the model again",
                    out.name
                ),
            ));
        }
    }
    Ok(())
}

fn check_operator(node: &pb::NodeProto, node_name: &str) -> Result<()> {
    match node.domain.as_str() {
        "ai.onnx.ml"
            if !SUPPORTED_ML_OPS.contains(&node.op_type.as_str())
                && !super::trees::ML_OPS.contains(&node.op_type.as_str()) =>
        {
            Err(Error::new(
                ErrorKind::ModelUnsupported,
                format!(
                    "node `{node_name}` uses `{}` from ai.onnx.ml, which this scorer does not run. Re-export without it: do scaling or encoding with standard ONNX operators (or before the model)",
                    node.op_type
                ),
            ))
        }
        "" | "ai.onnx" if matches!(node.op_type.as_str(), "Loop" | "Scan" | "If") => {
            Err(Error::new(
                ErrorKind::ModelUnsupported,
                format!(
                    "node `{node_name}` uses control flow (`{}`); a scoring model should be a plain feed-forward graph",
                    node.op_type
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// The single real input of the graph.
pub(super) struct InputInfo {
    /// Its name.
    pub(super) name: String,
    /// Features per row.
    pub(super) k: usize,
}

fn check_input(graph: &pb::GraphProto) -> Result<InputInfo> {
    let initializers: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<&pb::ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !initializers.contains(i.name.as_str()))
        .collect();
    let contract = |m: String| Error::new(ErrorKind::ModelContract, m);
    let input = match inputs.as_slice() {
        [one] => *one,
        [] => {
            return Err(contract(
                "the model has no input; it must take one float32 input [batch, k]".into(),
            ));
        }
        many => {
            let names: Vec<&str> = many.iter().map(|i| i.name.as_str()).collect();
            return Err(contract(format!(
                "the model has {} inputs ({}); it must take one float32 input [batch, k] with the features as columns",
                many.len(),
                names.join(", ")
            )));
        }
    };
    let name = input.name.clone();
    let Some(pb::type_proto::Value::TensorType(tensor)) =
        input.r#type.as_ref().and_then(|t| t.value.as_ref())
    else {
        return Err(contract(format!(
            "input `{name}` is not a tensor; it must be float32 [batch, k]"
        )));
    };
    if tensor.elem_type != DataType::Float as i32 {
        let type_name = DataType::try_from(tensor.elem_type).map_or("unknown", |t| t.as_str_name());
        return Err(contract(format!(
            "input `{name}` is {type_name}, but the scorer feeds float32; export the model with a float32 input [batch, k]"
        )));
    }
    let dims: Vec<Option<i64>> = tensor
        .shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(pb::tensor_shape_proto::dimension::Value::DimValue(v)) => Some(v),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let k = match dims.as_slice() {
        [Some(batch), _] if *batch < 1 => {
            return Err(contract(format!(
                "input `{name}` has its batch dimension fixed to {batch}, so it can never score an applicant; declare its shape as [batch, k] with a symbolic batch (e.g. `N`)"
            )));
        }
        [_, Some(k)] => *k,
        [_, None] => {
            return Err(contract(format!(
                "input `{name}` does not declare how many features it takes; declare its shape as [batch, k] with a fixed k"
            )));
        }
        other => {
            return Err(contract(format!(
                "input `{name}` has rank {}, but the scorer feeds a matrix [batch, k] (one row per applicant)",
                other.len()
            )));
        }
    };
    if k < 1 || k > MAX_FEATURES as i64 {
        return Err(contract(format!(
            "input `{name}` takes {k} features; the scorer accepts 1 to {MAX_FEATURES}"
        )));
    }
    Ok(InputInfo {
        name,
        k: k as usize,
    })
}

/// Picks the probability output and, when present, the log-odds output.
fn choose_outputs(graph: &pb::GraphProto, schema: &Schema) -> Result<(String, Option<String>)> {
    let names: Vec<&str> = graph.output.iter().map(|o| o.name.as_str()).collect();
    let has = |n: &str| names.contains(&n);
    let pd = match &schema.output.pd {
        Some(n) if has(n) => n.clone(),
        Some(n) => {
            return Err(Error::new(
                ErrorKind::Schema,
                format!(
                    "the schema names output `{n}` as the probability, but the model's outputs are {}",
                    names.join(", ")
                ),
            ));
        }
        None => {
            let float_outputs: Vec<&pb::ValueInfoProto> = graph
                .output
                .iter()
                .filter(|o| {
                    matches!(o.r#type.as_ref().and_then(|t| t.value.as_ref()),
                        Some(pb::type_proto::Value::TensorType(t)) if t.elem_type == DataType::Float as i32)
                })
                .collect();
            let preferred = ["pd", "probabilities", "probability", "output_probability"];
            match preferred.iter().find(|p| has(p)) {
                Some(p) => (*p).to_string(),
                None => match float_outputs.as_slice() {
                    [one] => one.name.clone(),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::ModelContract,
                            format!(
                                "cannot tell which output is the probability of default among {}; name it `pd` or describe it in the schema's `output.pd`",
                                if names.is_empty() {
                                    "no outputs".to_string()
                                } else {
                                    names.join(", ")
                                }
                            ),
                        ));
                    }
                },
            }
        }
    };
    let logit = match &schema.output.logit {
        Some(n) if has(n) => Some(n.clone()),
        Some(n) => {
            return Err(Error::new(
                ErrorKind::Schema,
                format!(
                    "the schema names output `{n}` as the log-odds, but the model has no such output"
                ),
            ));
        }
        None => has("logit").then(|| "logit".to_string()),
    };
    Ok((pd, logit))
}
