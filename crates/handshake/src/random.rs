//! Fresh randomness for the hellos: `Random` (RFC 5246 §7.4.1.2) and a new
//! `session_id` (§7.4.1.3), from the system's source.

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::Error;
use crate::messages::Random;

/// Fills `buf` with fresh random bytes.
pub(crate) fn random_bytes(rng: &SystemRandom, buf: &mut [u8]) -> Result<(), Error> {
    rng.fill(buf)
        .map_err(|_| Error::Internal("system random source failed"))
}

/// A fresh `Random` (§7.4.1.2).
pub(crate) fn new_random(rng: &SystemRandom) -> Result<Random, Error> {
    let mut r = Random::default();
    random_bytes(rng, &mut r.0)?;
    Ok(r)
}
