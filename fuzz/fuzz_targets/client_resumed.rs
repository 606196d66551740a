//! Fuzz target `client_resumed`: the body is [`tls12_fuzz::client_resumed`], shared with
//! tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tls12_fuzz::client_resumed(data));
