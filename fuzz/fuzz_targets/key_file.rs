//! Fuzz target `key_file`: the body is [`tls12_fuzz::key_file`], shared with
//! tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tls12_fuzz::key_file(data));
