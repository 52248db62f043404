//! Import never copies weight bytes, and frees the file buffer before it returns. Measured with a
//! counting allocator (this test binary's only test, so no other thread allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use edgeopt_onnx::proto::*;
use edgeopt_onnx::{InputShapes, import};
use prost::Message;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MB: usize = 1 << 20;

/// Eight 1×1 convolutions, 512 → 512 channels, each with 1 MiB of float weights in `raw_data`.
fn model_with_weights() -> Vec<u8> {
    let dim = |v| DimensionProto { dim_value: Some(v), dim_param: None };
    let input = ValueInfoProto {
        name: "t0".into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: 1,
                shape: Some(TensorShapeProto { dim: vec![dim(1), dim(512), dim(7), dim(7)] }),
            }),
        }),
    };
    let (mut nodes, mut weights) = (Vec::new(), Vec::new());
    for i in 0..8 {
        weights.push(TensorProto {
            name: format!("w{i}"),
            dims: vec![512, 512, 1, 1],
            data_type: 1,
            raw_data: Bytes::from(vec![0u8; 4 * 512 * 512]),
            ..Default::default()
        });
        nodes.push(NodeProto {
            name: format!("conv{i}"),
            op_type: "Conv".into(),
            input: vec![format!("t{i}"), format!("w{i}")],
            output: vec![format!("t{}", i + 1)],
            ..Default::default()
        });
    }
    let graph = GraphProto { node: nodes, initializer: weights, input: vec![input], ..Default::default() };
    ModelProto { ir_version: 8, graph: Some(graph), ..Default::default() }.encode_to_vec()
}

#[test]
fn weights_are_neither_copied_nor_kept() {
    let bytes = model_with_weights();
    let file_size = bytes.len();
    assert!(file_size > 8 * MB);
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let net = import(bytes, "weights.onnx", &InputShapes::default()).unwrap();
    let (peak, after) = (PEAK.load(Ordering::SeqCst), CURRENT.load(Ordering::SeqCst));
    assert_eq!(net.layers.len(), 8);
    // Decoding takes views of the buffer: well under one weight tensor (1 MiB) of extra memory.
    assert!(peak - before < MB / 2, "import allocated {} bytes on top of the buffer", peak - before);
    // The 8 MiB buffer is gone once import returns; what remains (the network) is a few kilobytes.
    let kept = file_size as isize - (before as isize - after as isize);
    assert!(kept < 64 * 1024, "{kept} bytes of the {file_size}-byte file are still held");
}
