//! MAESTRO mapping files: a typed error or a network whose valid layers the cost model evaluates
//! to a typed error or a cost; never a panic, never more than 64× the input in memory.
#![no_main]

use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig, maestro_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    edgeopt_fuzz::within_memory_bound(data.len(), || {
        let Ok(net) = maestro_file::parse_mapping(text, "fuzz.m") else { return };
        let hw = HardwareConfig::new(64, 64, 64).build().unwrap();
        for m in &net.layers {
            if let (Ok(()), Some(df)) = (m.layer.validate(), &m.dataflow) {
                let _ = Accel::new(hw.clone(), Dataflow::Custom(df.clone())).evaluate_layer(&m.layer);
            }
        }
    });
});
