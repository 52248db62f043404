//! Architecture keys of every search space (the first byte picks the space): a typed error or
//! an architecture whose key parses back to it and which lowers to valid layers.
#![no_main]

use edgeopt_nas::{AttentiveNas, Darts, FbNet, Lower, MobileNetSpace, Nb201};
use libfuzzer_sys::fuzz_target;

fn check<S: Lower>(space: &S, key: &str) {
    let Ok(arch) = space.parse_key(key) else { return };
    let canonical = space.key(&arch);
    assert!(space.parse_key(&canonical).expect("a printed key parses") == arch, "{key} -> {canonical}");
    for l in space.layers(&arch) {
        l.validate().expect("a parsed architecture lowers to valid layers");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let Ok(key) = std::str::from_utf8(body) else { return };
    edgeopt_fuzz::within_memory_bound(data.len(), || match which % 9 {
        0 => check(&Nb201::cifar10(), key),
        1 => check(&MobileNetSpace::ofa_proxyless(), key),
        2 => check(&MobileNetSpace::mobilenet_v2(), key),
        3 => check(&MobileNetSpace::ofa_mobilenet_v3(), key),
        4 => check(&MobileNetSpace::alphanet(), key),
        5 => check(&AttentiveNas::alphanet(), key),
        6 => check(&FbNet::imagenet(), key),
        7 => check(&FbNet::cifar100(), key),
        _ => check(&Darts::cifar10(), key),
    });
});
