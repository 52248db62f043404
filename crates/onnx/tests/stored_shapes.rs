//! Operators without a shape rule here fall back on the shapes a shape-inference pass stored.

use edgeopt_onnx::proto::*;
use edgeopt_onnx::{InputShapes, OpCategory, import};
use prost::Message;

fn value(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = |v: &i64| DimensionProto { dim_value: Some(*v), dim_param: None };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: 1,
                shape: Some(TensorShapeProto { dim: dims.iter().map(dim).collect() }),
            }),
        }),
    }
}

/// `SpaceToDepth` (block 2, no rule here) between the input and a 1×1 convolution.
fn model(stored: bool) -> Vec<u8> {
    let s2d = NodeProto {
        name: "s2d".into(),
        op_type: "SpaceToDepth".into(),
        input: vec!["x".into()],
        output: vec!["folded".into()],
        attribute: vec![AttributeProto { name: "blocksize".into(), i: 2, r#type: 2, ..Default::default() }],
        ..Default::default()
    };
    let conv = NodeProto {
        name: "pointwise".into(),
        op_type: "Conv".into(),
        input: vec!["folded".into(), "w".into()],
        output: vec!["y".into()],
        ..Default::default()
    };
    let w = TensorProto { name: "w".into(), dims: vec![8, 12, 1, 1], data_type: 1, ..Default::default() };
    let value_info = if stored { vec![value("folded", &[1, 12, 8, 8])] } else { vec![] };
    let graph = GraphProto {
        node: vec![s2d, conv],
        initializer: vec![w],
        input: vec![value("x", &[1, 3, 16, 16])],
        value_info,
        ..Default::default()
    };
    ModelProto { ir_version: 8, graph: Some(graph), ..Default::default() }.encode_to_vec()
}

#[test]
fn an_operator_without_a_rule_uses_the_stored_shape_or_says_what_to_do() {
    let net = import(model(true), "s2d.onnx", &InputShapes::default()).unwrap();
    let op = &net.unmodelled[0];
    assert_eq!((op.op.as_str(), op.category, op.elements), ("SpaceToDepth", OpCategory::Other, 12 * 8 * 8));
    assert_eq!((net.layers[0].c, net.layers[0].y), (12, 8));
    let err = import(model(false), "s2d.onnx", &InputShapes::default()).unwrap_err().to_string();
    assert_eq!(
        err,
        "node `s2d` (SpaceToDepth): no shape rule for this operator and the model stores no shape for its output \
         `folded` (run onnx.shape_inference on the model)"
    );
}
