//! Layer tables: a typed error or layers that are valid, round-trip through `to_csv`, and cost
//! out on every built-in dataflow (or are refused by the cost model with a typed error).
#![no_main]

use edgeopt_accel_sim::{Accel, Dataflow, HardwareConfig, layer_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    edgeopt_fuzz::within_memory_bound(data.len(), || {
        let Ok(layers) = layer_csv::parse(text, "fuzz.csv") else { return };
        for l in &layers {
            l.validate().expect("the reader returned an invalid layer");
        }
        let again = layer_csv::parse(&layer_csv::to_csv(&layers), "again.csv").expect("to_csv output is readable");
        assert_eq!(again, layers);
        let hw = HardwareConfig::new(64, 64, 64).build().unwrap();
        for df in ["kc-p", "yr-p", "x-p"] {
            let acc = Accel::new(hw.clone(), Dataflow::parse(df).unwrap());
            for l in &layers {
                let _ = acc.evaluate_layer(l);
            }
        }
    });
});
