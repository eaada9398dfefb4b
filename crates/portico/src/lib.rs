//! The Portico server and command line: configuration, wiring, operator commands and the demo.

pub mod admin;
pub mod config;
pub mod demo;
pub mod server;
