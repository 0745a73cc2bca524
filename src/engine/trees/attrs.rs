//! Reading a node's attributes by name, whatever form the exporter chose (a list, or opset 3's
//! `*_as_tensor` tensors).

use crate::engine::pb;

/// The attributes of one node.
pub struct Attrs<'a>(pub &'a pb::NodeProto);

impl<'a> Attrs<'a> {
    fn get(&self, name: &str) -> Option<&'a pb::AttributeProto> {
        self.0.attribute.iter().find(|a| a.name == name)
    }

    /// An integer list (empty when absent).
    pub fn ints(&self, name: &str) -> &'a [i64] {
        self.get(name).map_or(&[][..], |a| a.ints.as_slice())
    }

    /// A string list (empty when absent).
    pub fn strings(&self, name: &str) -> &'a [Vec<u8>] {
        self.get(name).map_or(&[][..], |a| a.strings.as_slice())
    }

    /// One integer.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).map(|a| a.i)
    }

    /// One string.
    pub fn string(&self, name: &str) -> Option<&'a [u8]> {
        self.get(name).map(|a| a.s.as_slice())
    }

    /// A float list, or the `NAME_as_tensor` tensor (opset 3), or a tensor attribute `NAME`
    /// (opset 5), as f64; empty when absent.
    pub fn floats_or_tensor(&self, name: &str) -> Vec<f64> {
        if let Some(a) = self.get(name) {
            if !a.floats.is_empty() {
                return a.floats.iter().map(|&v| f64::from(v)).collect();
            }
            if let Some(t) = &a.t {
                return crate::engine::checks::tensor_values(t).unwrap_or_default();
            }
        }
        self.tensor_values(&format!("{name}_as_tensor"))
    }

    /// A tensor attribute's values as f64 (empty when absent or unreadable).
    pub fn tensor_values(&self, name: &str) -> Vec<f64> {
        self.get(name)
            .and_then(|a| a.t.as_ref())
            .and_then(tensor_values_any)
            .unwrap_or_default()
    }
}

/// Like `checks::tensor_values`, also for the uint8 tensors opset 5 stores its modes in.
fn tensor_values_any(t: &pb::TensorProto) -> Option<Vec<f64>> {
    use pb::tensor_proto::DataType;
    match DataType::try_from(t.data_type).ok()? {
        DataType::Uint8 | DataType::Int8 if !t.raw_data.is_empty() => {
            Some(t.raw_data.iter().map(|&b| f64::from(b)).collect())
        }
        DataType::Uint8 | DataType::Int8 => {
            Some(t.int32_data.iter().map(|&v| f64::from(v)).collect())
        }
        _ => crate::engine::checks::tensor_values(t),
    }
}
