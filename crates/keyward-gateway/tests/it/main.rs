//! Integration tests of keyward-gateway over real HTTP and the real binary.

mod access;
mod cli;
mod durability;
mod keys;
mod leaks;
mod lifecycle;
mod openapi;
mod revocation;
mod util;
mod workloads;
