//! The search spaces.

pub mod lowering;
pub mod mobilenet;
pub mod nb201;
