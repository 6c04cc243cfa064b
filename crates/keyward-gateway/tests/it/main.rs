//! Integration tests of keyward-gateway over real HTTP and the real binary.

mod access;
mod cli;
mod keys;
mod lifecycle;
mod util;
