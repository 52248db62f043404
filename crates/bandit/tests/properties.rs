//! Invariants of the policies under arbitrary input.

use edgeopt_bandit::ndarray::Array2;
use edgeopt_bandit::{BanditError, Confidence, Exploration, LinUcb, NeuralBandit, NeuralConfig, Policy, ZUpdate};
use proptest::prelude::*;

fn contexts(k: usize, d: usize) -> impl Strategy<Value = Vec<f64>> {
    // Mostly moderate values, with exact zeros (sparse contexts) and large magnitudes.
    let value = prop_oneof![4 => -3.0..3.0f64, 1 => Just(0.0), 1 => -1e6..1e6f64];
    proptest::collection::vec(value, k * d)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any finite contexts and rewards: every call returns a decision among the offered arms or a
    /// typed error, never a panic, and the tickets add up.
    #[test]
    fn policies_never_panic_and_choose_an_offered_arm(
        k in 1usize..5, d in 1usize..5, rounds in proptest::collection::vec((any::<u64>(), 0.0..1.0f64), 1..25),
        raw in contexts(4, 4), exploration in 0usize..3, confidence in 0usize..3, on_arrival in any::<bool>(),
    ) {
        let cfg = NeuralConfig {
            width: 6,
            retrain_every: 3,
            retrain_steps: 4,
            exploration: [Exploration::Ucb, Exploration::Thompson, Exploration::EpsilonGreedy(0.2)][exploration],
            confidence: [Confidence::Diagonal, Confidence::Full, Confidence::LastLayer][confidence],
            z_update: if on_arrival { ZUpdate::OnArrival } else { ZUpdate::AtSelection },
            ..NeuralConfig::default()
        };
        let mut policies: Vec<Box<dyn Policy>> =
            vec![Box::new(NeuralBandit::new(d, cfg).unwrap()), Box::new(LinUcb::new(d, 1.0, 0.1, 0).unwrap())];
        for p in &mut policies {
            let (mut selected, mut answered) = (0, 0);
            for (t, (shift, reward)) in rounds.iter().enumerate() {
                // A different window of the values each round.
                let start = (*shift as usize) % raw.len();
                let arms = Array2::from_shape_fn((k, d), |(i, j)| raw[(start + i * d + j) % raw.len()]);
                match p.select(t as u64, arms.view()) {
                    Ok(dec) => {
                        selected += 1;
                        prop_assert!(dec.arm < k);
                        prop_assert!(dec.propensity > 0.0 && dec.propensity <= 1.0);
                        if t % 3 != 2 {
                            match p.feedback(dec.id, *reward) {
                                Ok(()) => answered += 1,
                                Err(e) => prop_assert!(matches!(e, BanditError::NonFinite { .. }), "{e}"),
                            }
                        }
                    }
                    // Huge contexts may overflow the network: that is reported, not a panic.
                    Err(e) => prop_assert!(matches!(e, BanditError::NonFinite { .. }), "{e}"),
                }
            }
            // Every decision is answered, or waits until it expires.
            let pending = p.pending();
            prop_assert_eq!(pending, selected - answered);
            prop_assert_eq!(p.expire(u64::MAX), pending);
            prop_assert_eq!(p.pending(), 0);
        }
    }
}
