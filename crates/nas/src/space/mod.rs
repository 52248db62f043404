//! The search spaces.

pub mod darts;
pub mod fbnet;
pub mod lowering;
pub mod mobilenet;
pub mod nb201;
