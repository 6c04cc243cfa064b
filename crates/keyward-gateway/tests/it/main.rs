//! Integration tests of keyward-gateway over real HTTP and the real binary.

mod access;
mod cli;
mod dataplane;
mod durability;
mod estimates;
mod failover;
mod faults;
mod health;
mod keys;
mod leaks;
mod lifecycle;
mod limits;
mod meter;
mod openapi;
mod pool;
mod postgres;
mod replicas;
mod revocation;
mod sdk;
mod tls;
mod upstream;
mod usage;
mod util;
mod workers;
mod workloads;
