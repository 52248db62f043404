//! Wide measurement tables, plain (first byte even) or gzip (odd): a typed error or a table
//! whose every column reads as text and as numbers or a typed error. A 1 MiB limit on the
//! decompressed text keeps gzip bombs to a refusal.
#![no_main]

use edgeopt_predictors::data::DeviceTable;
use libfuzzer_sys::fuzz_target;

const LIMIT: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else { return };
    // Bounded by the limit, not the (compressed) input.
    edgeopt_fuzz::within_memory_bound(data.len() + 2 * LIMIT as usize / edgeopt_fuzz::FACTOR, || {
        let table = if mode % 2 == 0 {
            DeviceTable::from_reader(body, "fuzz.csv", LIMIT)
        } else {
            DeviceTable::from_reader(flate2::read::MultiGzDecoder::new(body), "fuzz.csv.gz", LIMIT)
        };
        let Ok(t) = table else { return };
        assert!(!t.is_empty());
        for h in t.headers() {
            assert_eq!(t.text(h).unwrap().len(), t.len());
            if let Ok(v) = t.numeric(h) {
                assert!(v.iter().flatten().all(|x| x.is_finite()));
            }
        }
    });
});
