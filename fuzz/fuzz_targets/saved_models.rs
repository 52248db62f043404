//! Saved predictors and policies (JSON; the first byte picks the type): a typed error or a value
//! that serialises back to JSON that loads to the same value.
#![no_main]

use edgeopt_bandit::{LinUcb, NeuralBandit};
use edgeopt_predictors::{GcnPredictor, KernelRidgeModel, LinearPredictor, MlpPredictor};
use libfuzzer_sys::fuzz_target;
use serde::{Serialize, de::DeserializeOwned};

fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(json: &[u8]) {
    let Ok(v) = serde_json::from_slice::<T>(json) else { return };
    let text = serde_json::to_string(&v).expect("a loaded value serialises");
    let again: T = serde_json::from_str(&text).expect("a saved value loads");
    assert_eq!(again, v);
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else { return };
    edgeopt_fuzz::within_memory_bound(data.len(), || match which % 6 {
        0 => check::<LinearPredictor>(json),
        1 => check::<KernelRidgeModel>(json),
        2 => check::<MlpPredictor>(json),
        3 => check::<GcnPredictor>(json),
        4 => check::<LinUcb>(json),
        _ => check::<NeuralBandit>(json),
    });
});
