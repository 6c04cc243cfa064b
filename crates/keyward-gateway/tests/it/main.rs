//! Integration tests of keyward-gateway over real HTTP and the real binary.

mod cli;
mod keys;
mod lifecycle;
mod util;
