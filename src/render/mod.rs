//! Renderers: turn reports into bytes. They compute nothing.

mod human;
mod json;
mod sanitize;

pub use human::{human, summary};
pub use json::json;
pub use sanitize::sanitize;
