//! ONNX import against the networks the rest of the workspace already knows.

use edgeopt::accel_sim::{Accel, Accelerator, Dataflow, HardwareConfig, Layer};
use edgeopt::nas::{Lower, Lowering, MobileNetSpace};
use edgeopt::onnx::{InputShapes, OpCategory, load};

fn unnamed(l: &Layer) -> Layer {
    Layer { name: String::new(), ..l.clone() }
}

/// The MobileNetV2-1.0 fixture (as torchvision exports it) lowers to exactly the convolution and
/// FC layers of `nas`'s MobileNetV2-1.0, so their cycles agree on every dataflow; its residual
/// additions, which `nas` (like MAESTRO's zoo) writes as 1×1 depthwise layers, are listed as
/// element-wise operators of the same size instead.
#[test]
fn mobilenet_v2_matches_the_nas_lowering_on_every_dataflow() {
    let net = load("crates/onnx/tests/fixtures/mobilenetv2.onnx".as_ref(), &InputShapes::default()).unwrap();
    let space = MobileNetSpace::mobilenet_v2();
    let arch = space.mobilenet_v2_arch();
    let nas = space.layers_with(&arch, &Lowering::counted());
    assert_eq!(net.layers.iter().map(unnamed).collect::<Vec<_>>(), nas.iter().map(unnamed).collect::<Vec<_>>());
    let macs = net.layer_macs() as f64;
    assert!((macs / 300.8e6 - 1.0).abs() < 0.005, "{macs}");
    assert_eq!(net.mac_coverage(), 1.0);
    for pes in [64, 256] {
        for df in [Dataflow::KcP, Dataflow::YrP, Dataflow::XP] {
            let acc = Accel::new(HardwareConfig::new(pes, 300, 50).build().unwrap(), df);
            let (a, b) = (acc.evaluate(&net.layers).unwrap(), acc.evaluate(&nas).unwrap());
            let cycles = |c: &edgeopt::accel_sim::NetworkCost| c.layers.iter().map(|l| l.cycles).collect::<Vec<_>>();
            assert_eq!(cycles(&a), cycles(&b), "{} with {pes} PEs", acc.dataflow);
        }
    }
    let adds: Vec<u64> = net.unmodelled.iter().filter(|u| u.op == "Add").map(|u| u.elements).collect();
    let nas_adds: Vec<u64> = space
        .layers_with(&arch, &Lowering { residual_adds: true, ..Lowering::counted() })
        .iter()
        .filter(|l| l.name.ends_with("_add"))
        .map(Layer::output_elems)
        .collect();
    assert_eq!(adds, nas_adds);
    assert!(net.unmodelled.iter().filter(|u| u.op == "Add").all(|u| u.category == OpCategory::Elementwise));
}

/// An imported network goes wherever a layer list goes: here, a whole hardware design space.
#[test]
fn an_imported_network_is_costed_over_a_hardware_space() {
    use edgeopt::accel_sim::{EnergyModel, HardwareSpace};
    let shapes = InputShapes::parse_all(&["x=1,16,64"]).unwrap();
    let net = load("crates/onnx/tests/fixtures/transformer_block.onnx".as_ref(), &shapes).unwrap();
    let space = HardwareSpace::calibration();
    let table = space.evaluate(std::slice::from_ref(&net.layers), &EnergyModel::maestro());
    assert_eq!(table[0].len(), space.enumerate().unwrap().len());
    let macs = net.layer_macs();
    for cost in &table[0] {
        let cost = cost.as_ref().unwrap();
        assert_eq!(cost.layers.iter().map(|l| l.macs).sum::<u64>(), macs);
    }
}
