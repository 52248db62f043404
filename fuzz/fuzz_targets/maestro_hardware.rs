//! MAESTRO hardware files: a typed error or a configuration that builds or is refused by name.
#![no_main]

use edgeopt_accel_sim::maestro_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    edgeopt_fuzz::within_memory_bound(data.len(), || {
        if let Ok(cfg) = maestro_file::parse_hardware(text, "fuzz.m") {
            let _ = cfg.build();
        }
    });
});
