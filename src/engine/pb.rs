//! The ONNX protobuf types the loader decodes into, at one path for both builds: tract-onnx's own
//! in the full build (tract reads the checked model from them), and in the lite build
//! `onnx_pb.rs`, the same prost-generated file copied from tract-onnx 0.23.9, so that the lite
//! build decodes without tract.
#![cfg_attr(not(feature = "tract"), allow(clippy::all, missing_docs))]

#[cfg(feature = "tract")]
pub use tract_onnx::pb::*;

#[cfg(not(feature = "tract"))]
include!("onnx_pb.rs");
