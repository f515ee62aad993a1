//! dockup: installs Docker correctly on whatever machine it lands on.
//!
//! One pipeline: facts (what the machine is) → platform (what the catalog says about it) →
//! strategy (with reasons and alternatives) → plan (typed steps, pure) → executor.

pub mod cli;
pub mod doctor;
pub mod exec;
pub mod facts;
pub mod plan;
pub mod platform;
pub mod ui;
