//! Import of a ResNet-50-sized model with its ~100 MB of float weights stored in the file.
//!
//! `cargo bench -p edgeopt-onnx --bench import`. The model is generated here (ResNet-50 with
//! batch norm folded: 25.5 M parameters, 102 MB of zero weights), written to a temporary file,
//! and imported from bytes in memory and from the file. With `EDGEOPT_RESNET50_ONNX=PATH` the
//! file is written to PATH and kept (to time `edgeopt import onnx PATH` on it).

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use edgeopt_onnx::proto::*;
use edgeopt_onnx::{InputShapes, import, load};
use prost::Message;

struct Builder {
    nodes: Vec<NodeProto>,
    weights: Vec<TensorProto>,
    params: u64,
}

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto { name: name.into(), ints: v.to_vec(), r#type: 7, ..Default::default() }
}

impl Builder {
    fn weight(&mut self, name: &str, dims: &[i64]) -> String {
        let n: i64 = dims.iter().product();
        self.params += n as u64;
        self.weights.push(TensorProto {
            name: name.into(),
            dims: dims.to_vec(),
            data_type: 1,
            raw_data: Bytes::from(vec![0u8; 4 * n as usize]),
            ..Default::default()
        });
        name.into()
    }

    fn node(&mut self, op: &str, name: &str, inputs: &[&str], attrs: Vec<AttributeProto>) -> String {
        let out = format!("{name}_out");
        self.nodes.push(NodeProto {
            name: name.into(),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.clone()],
            attribute: attrs,
            ..Default::default()
        });
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn conv(&mut self, name: &str, x: &str, cin: i64, cout: i64, k: i64, stride: i64, relu: bool) -> String {
        let w = self.weight(&format!("{name}.w"), &[cout, cin, k, k]);
        let b = self.weight(&format!("{name}.b"), &[cout]);
        let p = (k - 1) / 2;
        let attrs = vec![ints("strides", &[stride, stride]), ints("pads", &[p, p, p, p])];
        let y = self.node("Conv", name, &[x, &w, &b], attrs);
        if relu { self.node("Relu", &format!("{name}/relu"), &[&y], vec![]) } else { y }
    }
}

fn resnet50() -> (Vec<u8>, u64) {
    let mut b = Builder { nodes: Vec::new(), weights: Vec::new(), params: 0 };
    let mut x = b.conv("stem", "image", 3, 64, 7, 2, true);
    let pool = vec![ints("kernel_shape", &[3, 3]), ints("strides", &[2, 2]), ints("pads", &[1, 1, 1, 1])];
    x = b.node("MaxPool", "stem/pool", &[&x], pool);
    let mut cin = 64;
    for (stage, (&blocks, &width)) in [3, 4, 6, 3].iter().zip(&[64i64, 128, 256, 512]).enumerate() {
        for i in 0..blocks {
            let name = format!("layer{}.{i}", stage + 1);
            let stride = if i == 0 && stage > 0 { 2 } else { 1 };
            let h = b.conv(&format!("{name}.conv1"), &x, cin, width, 1, 1, true);
            let h = b.conv(&format!("{name}.conv2"), &h, width, width, 3, stride, true);
            let h = b.conv(&format!("{name}.conv3"), &h, width, width * 4, 1, 1, false);
            let skip = if i == 0 { b.conv(&format!("{name}.down"), &x, cin, width * 4, 1, stride, false) } else { x };
            let sum = b.node("Add", &format!("{name}/add"), &[&h, &skip], vec![]);
            x = b.node("Relu", &format!("{name}/relu"), &[&sum], vec![]);
            cin = width * 4;
        }
    }
    let x = b.node("GlobalAveragePool", "pool", &[&x], vec![]);
    let x = b.node("Flatten", "flatten", &[&x], vec![]);
    let w = b.weight("fc.w", &[1000, 2048]);
    let bias = b.weight("fc.b", &[1000]);
    b.node(
        "Gemm",
        "fc",
        &[&x, &w, &bias],
        vec![AttributeProto { name: "transB".into(), i: 1, r#type: 2, ..Default::default() }],
    );
    let dim = |v| DimensionProto { dim_value: Some(v), dim_param: None };
    let input = ValueInfoProto {
        name: "image".into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: 1,
                shape: Some(TensorShapeProto { dim: vec![dim(1), dim(3), dim(224), dim(224)] }),
            }),
        }),
    };
    let model = ModelProto {
        ir_version: 8,
        producer_name: "edgeopt bench".into(),
        graph: Some(GraphProto {
            node: b.nodes,
            name: "resnet50".into(),
            initializer: b.weights,
            input: vec![input],
            ..Default::default()
        }),
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }],
    };
    (model.encode_to_vec(), b.params)
}

fn bench(c: &mut Criterion) {
    let (bytes, params) = resnet50();
    // EDGEOPT_RESNET50_ONNX=path keeps the model there, for timing the CLI on it.
    let kept = std::env::var_os("EDGEOPT_RESNET50_ONNX").map(std::path::PathBuf::from);
    let path = kept
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("edgeopt-resnet50-{}.onnx", std::process::id())));
    std::fs::write(&path, &bytes).unwrap();
    let shapes = InputShapes::default();
    let net = load(&path, &shapes).unwrap();
    eprintln!(
        "ResNet-50: {:.1} MB file, {params} parameters, {} layers, {:.2} GMACs",
        bytes.len() as f64 / 1e6,
        net.layers.len(),
        net.layer_macs() as f64 / 1e9
    );
    let shared = Bytes::from(bytes);
    let mut group = c.benchmark_group("onnx_import_resnet50_100MB");
    group.sample_size(10);
    group.bench_function("from_memory", |b| b.iter(|| import(black_box(shared.clone()), "resnet50", &shapes).unwrap()));
    group.bench_function("from_file", |b| b.iter(|| load(black_box(&path), &shapes).unwrap()));
    group.finish();
    if kept.is_none() {
        let _ = std::fs::remove_file(&path);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
