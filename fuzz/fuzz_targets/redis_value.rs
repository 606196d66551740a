//! Fuzz target `redis_value`: the body is [`tls12_fuzz::redis_value`], shared with
//! tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tls12_fuzz::redis_value(data));
