//! Benchmark of tagman apply against a local registry (filled in below).

fn main() {}
