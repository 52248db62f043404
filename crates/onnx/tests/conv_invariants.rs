//! Invariants of convolution lowering over random geometries, on models built in memory.

use edgeopt_accel_sim::{LayerType, maestro_file};
use edgeopt_onnx::proto::*;
use edgeopt_onnx::{InputShapes, import};
use proptest::prelude::*;
use prost::Message;

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), ints: v.to_vec(), r#type: 7, ..Default::default() }
}

#[allow(clippy::too_many_arguments)]
fn conv_model(
    n: i64,
    c: i64,
    m: i64,
    group: i64,
    h: i64,
    w: i64,
    k: i64,
    stride: i64,
    dil: i64,
    pads: [i64; 4],
) -> Vec<u8> {
    let dim = |v| DimensionProto { dim_value: Some(v), dim_param: None };
    let input = ValueInfoProto {
        name: "x".into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: 1,
                shape: Some(TensorShapeProto { dim: vec![dim(n), dim(c), dim(h), dim(w)] }),
            }),
        }),
    };
    let weight = TensorProto { name: "w".into(), dims: vec![m, c / group, k, k], data_type: 1, ..Default::default() };
    let node = NodeProto {
        name: "conv".into(),
        op_type: "Conv".into(),
        input: vec!["x".into(), "w".into()],
        output: vec!["y".into()],
        attribute: vec![
            ints("strides", &[stride, stride]),
            ints("dilations", &[dil, dil]),
            ints("pads", &pads),
            AttributeProto { name: "group".into(), i: group, r#type: 2, ..Default::default() },
        ],
        ..Default::default()
    };
    let graph = GraphProto { node: vec![node], initializer: vec![weight], input: vec![input], ..Default::default() };
    ModelProto { ir_version: 8, graph: Some(graph), ..Default::default() }.encode_to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The layer's batch and output size are ONNX's, its input size lies between the unpadded and the padded
    /// input, its MACs are the true MACs at the dense footprint, and the MAESTRO file reads back
    /// to the same layer.
    #[test]
    fn conv_lowering_keeps_onnx_geometry(
        n in 1i64..4, cg in 1i64..5, mg in 1i64..5, group in prop::sample::select(vec![1i64, 2, 4]),
        h in 1i64..40, w in 1i64..40, k in 1i64..6, stride in 1i64..4, dil in 1i64..3,
        pads in prop::array::uniform4(0i64..3),
    ) {
        let (c, m) = (cg * group, mg * group);
        let bytes = conv_model(n, c, m, group, h, w, k, stride, dil, pads);
        let eff = (k - 1) * dil + 1;
        let (ph, pw) = (h + pads[0] + pads[2], w + pads[1] + pads[3]);
        let result = import(bytes, "conv.onnx", &InputShapes::default());
        if ph < eff || pw < eff {
            let err = result.unwrap_err().to_string();
            prop_assert!(err.starts_with("node `conv` (Conv): "), "{}", err);
            return Ok(());
        }
        let net = result.unwrap();
        let l = &net.layers[0];
        let (oh, ow) = ((ph - eff) / stride + 1, (pw - eff) / stride + 1);
        prop_assert_eq!((l.output_rows(), l.output_cols()), (oh as u64, ow as u64));
        prop_assert!(l.y >= h as u64 && l.y <= ph as u64 && l.x >= w as u64 && l.x <= pw as u64);
        let kind = if group == 1 { LayerType::Conv } else if group == c && m == c { LayerType::DsConv } else { LayerType::NgConv };
        prop_assert_eq!(l.kind, kind);
        prop_assert_eq!(l.batch, n as u64);
        let true_macs = (n * m * (c / group) * k * k * oh * ow) as u64;
        prop_assert_eq!(net.model_macs(), true_macs);
        prop_assert_eq!(net.layer_macs(), true_macs / (k * k) as u64 * (eff * eff) as u64);
        let back = maestro_file::parse_mapping(&net.to_maestro(), "conv.m").unwrap();
        prop_assert_eq!(&back.layers[0].layer, l);
    }

    /// Shape specifications parse to what they say, and malformed ones are refused.
    #[test]
    fn input_shapes_parse(dims in prop::collection::vec(1u64..10_000, 1..6), name in "[a-z][a-z0-9_]{0,8}") {
        let text = dims.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let shapes = InputShapes::parse_all(&[format!("{name}={text}")]).unwrap();
        prop_assert_eq!(shapes.get(&name, false), Some(&dims[..]));
        let (zero, negative) = (format!("{name}={text},0"), format!("{name}={text},-3"));
        prop_assert!(InputShapes::parse_all(&[zero]).is_err());
        prop_assert!(InputShapes::parse_all(&[negative]).is_err());
    }
}
