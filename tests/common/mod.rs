//! Support shared by the test modules.

pub mod engine;
