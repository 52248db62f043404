//! Import of the committed fixtures (made by `tests/fixtures/make_fixtures.py`).

use std::path::PathBuf;

use edgeopt_accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig, Layer, LayerType, maestro_file};
use edgeopt_onnx::{ImportedNetwork, InputShapes, OnnxError, OpCategory, load};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn import(name: &str, shapes: &[&str]) -> ImportedNetwork {
    load(&fixture(name), &InputShapes::parse_all(shapes).unwrap()).unwrap()
}

fn layer<'a>(net: &'a ImportedNetwork, name: &str) -> &'a Layer {
    net.layers.iter().find(|l| l.name == name).unwrap_or_else(|| panic!("no layer {name}"))
}

/// `(kind, batch, groups, k, c, r, s, y, x, stride_y, stride_x)`.
fn dims(l: &Layer) -> (LayerType, [u64; 10]) {
    (l.kind, [l.batch, l.groups, l.k, l.c, l.r, l.s, l.y, l.x, l.stride_y, l.stride_x])
}

#[test]
fn convolutions_are_lowered_with_maestros_input_sizes() {
    let net = import("conv_variants.onnx", &[]);
    // 3×3, pads 1: the padded 34×34 input gives 32×32.
    assert_eq!(dims(layer(&net, "conv, dense")), (LayerType::Conv, [1, 1, 16, 8, 3, 3, 34, 34, 1, 1]));
    // Stride 2: rows 0..=32 of the padded 34 are touched, so Y = 33 and Y' = 16.
    let strided = layer(&net, "/features/strided/Conv");
    assert_eq!(dims(strided), (LayerType::Conv, [1, 1, 16, 8, 3, 3, 33, 33, 2, 2]));
    assert_eq!(strided.output_rows(), 16);
    // Asymmetric pads (top 0, left 1, bottom 2, right 1) total 2 on each axis.
    assert_eq!(dims(layer(&net, "asymmetric")), (LayerType::Conv, [1, 1, 16, 8, 3, 3, 34, 34, 1, 1]));
    // Dilation 2 is costed as the dense 5×5 footprint.
    assert_eq!(dims(layer(&net, "dilated")), (LayerType::Conv, [1, 1, 16, 8, 5, 5, 36, 36, 1, 1]));
    assert_eq!(layer(&net, "dilated").output_rows(), 32);
    // 4 groups: K and C per group.
    assert_eq!(dims(layer(&net, "grouped")), (LayerType::NgConv, [1, 4, 4, 2, 3, 3, 34, 34, 1, 1]));
    let dw = layer(&net, "depthwise");
    assert_eq!(dims(dw), (LayerType::DsConv, [1, 1, 1, 8, 3, 3, 33, 33, 2, 2]));
    assert_eq!(dw.macs(), 8 * 9 * 16 * 16);
    // SAME_UPPER, 5×5, stride 2 on 32: 16 outputs from 3 rows of padding.
    let same = layer(&net, "same_upper");
    assert_eq!((same.y, same.output_rows(), same.stride_y), (35, 16, 2));
    // Transposed 2×2, stride 2: every one of the 32×32 input pixels meets the 4 taps.
    let tr = layer(&net, "transposed");
    assert_eq!(dims(tr), (LayerType::TrConv, [1, 1, 4, 8, 2, 2, 33, 33, 1, 1]));
    assert_eq!(tr.macs(), 4 * 8 * 4 * 32 * 32);
    assert_eq!(dims(layer(&net, "classifier")), (LayerType::Fc, [1, 1, 10, 32, 1, 1, 1, 1, 1, 1]));
    assert_eq!(net.layers.len(), 9);
}

#[test]
fn unmodelled_ops_are_listed_and_dilation_is_reported() {
    let net = import("conv_variants.onnx", &[]);
    let ops: Vec<(&str, OpCategory, u64)> =
        net.unmodelled.iter().map(|u| (u.name.as_str(), u.category, u.elements)).collect();
    assert_eq!(
        ops,
        vec![
            ("relu", OpCategory::Elementwise, 16 * 32 * 32),
            ("maxpool", OpCategory::Pooling, 16 * 16 * 16),
            ("concat", OpCategory::Concat, 32 * 16 * 16),
            ("avgpool", OpCategory::Pooling, 32 * 16 * 16),
            ("gap", OpCategory::Pooling, 32),
            ("flatten", OpCategory::Layout, 32),
        ]
    );
    // A CNN: every MAC is in a lowered layer; only the dilated filter's zero taps are extra.
    assert_eq!(net.mac_coverage(), 1.0);
    assert_eq!(net.layer_macs() - net.model_macs(), 16 * 8 * (25 - 9) * 32 * 32);
    let summary = net.summary();
    assert!(summary.contains("not modelled by the cost model: 3 pooling ops"), "{summary}");
    assert!(summary.ends_with(&format!("lowered layers cover 100.00% of the model's {} MACs", net.model_macs())));
}

#[test]
fn gemm_and_matmul_give_m_n_k_per_batch_element() {
    let net = import("gemm_matmul.onnx", &[]);
    assert_eq!(dims(layer(&net, "fc_row")), (LayerType::Fc, [1, 1, 16, 32, 1, 1, 1, 1, 1, 1]));
    // GEMM (M×K)·(K×N) is stored as K = N, C = K, Y = M.
    assert_eq!(dims(layer(&net, "gemm_rows")), (LayerType::Gemm, [1, 1, 16, 32, 1, 1, 4, 1, 1, 1]));
    assert_eq!(dims(layer(&net, "matmul_vector")), (LayerType::Fc, [1, 1, 16, 32, 1, 1, 1, 1, 1, 1]));
    // [2, 3, 8, 32] · [32, 16]: six 8×32·32×16 products.
    assert_eq!(dims(layer(&net, "matmul_batched")), (LayerType::Gemm, [6, 1, 16, 32, 1, 1, 8, 1, 1, 1]));
    // [8, 32] · [5, 32, 16] broadcasts the left operand over 5.
    assert_eq!(dims(layer(&net, "matmul_broadcast")), (LayerType::Gemm, [5, 1, 16, 32, 1, 1, 8, 1, 1, 1]));
    assert_eq!(net.layer_macs(), net.model_macs());
}

#[test]
fn a_transformer_block_needs_its_batch_and_lowers_every_product() {
    let err = load(&fixture("transformer_block.onnx"), &InputShapes::default()).unwrap_err().to_string();
    assert_eq!(err, "input `x` has dynamic dimension 0 (`batch`); give its shape, e.g. --input-shape x=1,16,64");
    let net = import("transformer_block.onnx", &["2,16,64"]);
    let gemm = |name: &str| {
        let l = layer(&net, name);
        assert_eq!(l.kind, LayerType::Gemm, "{name}");
        (l.batch, l.y, l.k, l.c) // batch, M, N, K
    };
    for p in ["q", "k", "v", "out"] {
        assert_eq!(gemm(&format!("{p}/MatMul")), (2, 16, 64, 64));
    }
    // Attention's two products: per (batch, head), 16×16 scores over d = 16, then 16×16·16×16.
    assert_eq!(gemm("attn/scores"), (8, 16, 16, 16));
    assert_eq!(gemm("attn/context"), (8, 16, 16, 16));
    assert_eq!(gemm("ffn1/MatMul"), (2, 16, 256, 64));
    assert_eq!(gemm("ffn2/MatMul"), (2, 16, 64, 256));
    assert_eq!(net.layers.len(), 8);
    let cats = net.unmodelled_by_category();
    let count = |c: OpCategory| cats.iter().find(|x| x.0 == c).map_or(0, |x| x.1);
    assert_eq!(count(OpCategory::Softmax), 1);
    assert_eq!(count(OpCategory::Normalisation), 2);
    assert_eq!(net.mac_coverage(), 1.0);
    assert_eq!(net.inputs, vec![("x".to_string(), vec![2, 16, 64])]);
    // A named shape works too; a wrong rank or a fixed dimension changed is refused.
    assert_eq!(import("transformer_block.onnx", &["x=2,16,64"]).layers, net.layers);
    for bad in ["2,16", "2,17,64", "y=2,16,64"] {
        let shapes = InputShapes::parse_all(&[bad]).unwrap();
        let err = load(&fixture("transformer_block.onnx"), &shapes).unwrap_err();
        assert!(matches!(err, OnnxError::InputShape { .. }), "{bad}: {err}");
    }
}

#[test]
fn einsum_contractions_lower_the_mac_coverage() {
    let net = import("einsum_attention.onnx", &[]);
    assert_eq!(net.layers.len(), 1);
    let e = &net.unmodelled[0];
    assert_eq!((e.op.as_str(), e.category, e.elements, e.macs), ("Einsum", OpCategory::Contraction, 256, 8192));
    assert!((net.mac_coverage() - 16384.0 / 24576.0).abs() < 1e-12);
}

fn accelerators() -> Vec<Accel> {
    let hw = HardwareConfig::new(64, 300, 50).build().unwrap();
    [Dataflow::KcP, Dataflow::YrP, Dataflow::XP].into_iter().map(|df| Accel::new(hw.clone(), df)).collect()
}

#[test]
fn maestro_files_round_trip_to_the_same_cycles() {
    for (file, shapes) in [
        ("conv_variants.onnx", vec![]),
        ("gemm_matmul.onnx", vec![]),
        ("transformer_block.onnx", vec!["2,16,64"]),
        ("mobilenetv2.onnx", vec![]),
    ] {
        let net = import(file, &shapes);
        let text = net.to_maestro();
        let back: Vec<Layer> =
            maestro_file::parse_mapping(&text, file).unwrap().layers.into_iter().map(|m| m.layer).collect();
        for acc in accelerators() {
            let (a, b) = (acc.evaluate(&net.layers).unwrap(), acc.evaluate(&back).unwrap());
            assert_eq!(a.cycles, b.cycles, "{file} on {}", acc.dataflow);
            assert_eq!(a.layers.iter().map(|l| l.macs).sum::<u64>(), b.layers.iter().map(|l| l.macs).sum::<u64>());
        }
    }
}

#[test]
fn csv_output_quotes_names_and_reads_back() {
    let net = import("transformer_block.onnx", &["2,16,64"]);
    let back = edgeopt_accel_sim::layer_csv::parse(&net.to_csv(), "t.csv").unwrap();
    assert_eq!(back, net.layers);
    let conv = import("conv_variants.onnx", &[]);
    let csv = conv.to_csv();
    assert!(csv.contains("\"conv, dense\",CONV,"), "{csv}");
    assert_eq!(edgeopt_accel_sim::layer_csv::parse(&csv, "c.csv").unwrap(), conv.layers);
}

fn one_line_error(err: OnnxError) -> String {
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    msg
}

#[test]
fn operators_with_weights_that_cannot_be_lowered_are_refused() {
    let lstm = load(&fixture("lstm.onnx"), &InputShapes::default()).unwrap_err();
    assert!(one_line_error(lstm).starts_with("node `encoder_lstm` (LSTM): cannot be lowered"));
    let custom = load(&fixture("custom_op.onnx"), &InputShapes::default()).unwrap_err();
    assert!(one_line_error(custom).starts_with("node `fancy` (com.example:FancyConv): cannot be lowered"));
}

#[test]
fn files_that_are_not_onnx_are_refused_in_one_line() {
    let good = std::fs::read(fixture("mobilenetv2.onnx")).unwrap();
    let shapes = InputShapes::default();
    let mut corrupt = good.clone();
    corrupt[0] = 0xff; // a field tag with an invalid wire type
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("text", b"name,type,k,c\nconv,CONV,1,2\n".to_vec()),
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("corrupt", corrupt),
    ];
    for (what, bytes) in cases {
        let err = edgeopt_onnx::import(bytes, what, &shapes).unwrap_err();
        assert!(matches!(err, OnnxError::Decode { .. } | OnnxError::NotOnnx { .. }), "{what}: {err}");
        assert!(one_line_error(err).starts_with(&format!("{what}: not")), "{what}");
    }
    let missing = load(&fixture("no-such.onnx"), &shapes).unwrap_err();
    assert!(matches!(missing, OnnxError::Io { .. }));
}

#[test]
fn resize_by_constant_scales_feeds_the_next_layer() {
    let net = import("upsample.onnx", &[]);
    assert_eq!((layer(&net, "before").y, layer(&net, "before").x), (12, 14));
    // 10×12 doubled to 20×24, padded by 1 on each side.
    assert_eq!((layer(&net, "after").y, layer(&net, "after").x), (22, 26));
    let up = &net.unmodelled[0];
    assert_eq!((up.op.as_str(), up.category, up.elements), ("Resize", OpCategory::Layout, 4 * 20 * 24));
}
