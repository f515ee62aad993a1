//! Shared test helpers.
#![allow(dead_code)]

pub mod e2e;
pub mod http;
