//! Fuzz target `name_constraints`: the body is [`tls12_fuzz::name_constraints`], shared with
//! tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tls12_fuzz::name_constraints(data));
