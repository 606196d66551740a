//! Fuzz target `farm_key`: the body is [`tls12_fuzz::farm_key`], shared with
//! tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tls12_fuzz::farm_key(data));
