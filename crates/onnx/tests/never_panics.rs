//! Whatever the bytes or attributes, import returns a result: it never panics.

use edgeopt_onnx::proto::*;
use edgeopt_onnx::{InputShapes, import};
use proptest::prelude::*;
use prost::Message;

const FIXTURES: &[&str] =
    &["conv_variants.onnx", "transformer_block.onnx", "gemm_matmul.onnx", "mobilenetv2.onnx", "upsample.onnx"];

fn fixture(i: usize) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{}", env!("CARGO_MANIFEST_DIR"), FIXTURES[i % FIXTURES.len()])).unwrap()
}

fn ints(name: &str, v: Vec<i64>) -> AttributeProto {
    AttributeProto { name: name.into(), ints: v, r#type: 7, ..Default::default() }
}

/// One node of `op` on a 4-D input and a 4-D constant, with arbitrary integer attributes.
fn one_node(op: &str, input: Vec<i64>, weight: Vec<i64>, attrs: Vec<(String, Vec<i64>)>, int_attr: i64) -> Vec<u8> {
    let dim = |v| DimensionProto { dim_value: Some(v), dim_param: None };
    let x = ValueInfoProto {
        name: "x".into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: 1,
                shape: Some(TensorShapeProto { dim: input.into_iter().map(dim).collect() }),
            }),
        }),
    };
    let w =
        TensorProto { name: "w".into(), dims: weight.clone(), data_type: 7, int64_data: weight, ..Default::default() };
    let mut attribute: Vec<AttributeProto> = attrs.into_iter().map(|(n, v)| ints(&n, v)).collect();
    for name in ["group", "axis", "transA", "transB", "keepdims", "ceil_mode"] {
        attribute.push(AttributeProto { name: name.into(), i: int_attr, r#type: 2, ..Default::default() });
    }
    let node = NodeProto {
        name: "n".into(),
        op_type: op.into(),
        input: vec!["x".into(), "w".into(), "w".into(), "w".into()],
        output: vec!["y".into(), "z".into()],
        attribute,
        ..Default::default()
    };
    let graph = GraphProto { node: vec![node], initializer: vec![w], input: vec![x], ..Default::default() };
    ModelProto { ir_version: 8, graph: Some(graph), ..Default::default() }.encode_to_vec()
}

fn small_or_wild() -> impl Strategy<Value = i64> {
    prop_oneof![4 => -3i64..8, 1 => any::<i64>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn corrupted_fixtures_never_panic(
        which in 0usize..5,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = fixture(which);
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        // Only the transformer block has a dynamic input.
        let spec: &[&str] = if FIXTURES[which] == "transformer_block.onnx" { &["1,16,64"] } else { &[] };
        let _ = import(bytes, "fuzz.onnx", &InputShapes::parse_all(spec).unwrap());
    }

    #[test]
    fn arbitrary_attributes_never_panic(
        op in prop::sample::select(vec![
            "Conv", "ConvTranspose", "MaxPool", "AveragePool", "Gemm", "MatMul", "Reshape", "Slice", "Pad",
            "Squeeze", "Unsqueeze", "Concat", "Split", "Gather", "Transpose", "Flatten", "Tile", "Expand",
            "ReduceMean", "Resize", "Einsum", "GlobalAveragePool", "Shape", "ConstantOfShape",
        ]),
        input in prop::collection::vec(1i64..40, 0..5),
        weight in prop::collection::vec(prop_oneof![6 => 1i64..8, 1 => small_or_wild()], 0..5),
        names in prop::collection::vec(prop::sample::select(vec![
            "kernel_shape", "strides", "pads", "dilations", "perm", "axes", "split", "output_padding", "output_shape",
        ]), 0..4),
        values in prop::collection::vec(prop::collection::vec(small_or_wild(), 0..9), 4),
        int_attr in small_or_wild(),
    ) {
        let attrs = names.into_iter().zip(values).map(|(n, v)| (n.to_string(), v)).collect();
        let _ = import(one_node(op, input, weight, attrs, int_attr), "attrs.onnx", &InputShapes::default());
    }
}
