//! tagman-core's integration tests, one binary: the YAML tree and the schema check against the
//! libraries they replaced at run time (serde-saphyr, jsonschema).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod schema_oracle;
mod yaml_oracle;
