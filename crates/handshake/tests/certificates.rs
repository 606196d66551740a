//! The test PKI of `test-data/` (see its README) against the certificate
//! checks of `x509/` and the keys and signatures of `sign.rs`: every
//! chain, every fault, the exact error and the alert it sends.

use std::path::Path;

use handshake::sign::{
    certs_from_pem, verify_signature, KeyError, PemError, SignatureError, SignatureScheme,
    SigningKey,
};
use handshake::x509::{
    leaf_subject, public_key_kind, signing_key_kind, verify_chain, verify_client_chain,
    verify_server_chain, CaRole, CertificateError, PathLimits, PublicKeyKind, Purpose,
    TrustAnchors, ValidPath, DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS, MAX_CHAIN_LEN,
};
use record_layer::suites::SignatureKind;
use record_layer::AlertDescription;

/// notBefore of every certificate but the expired one: 2025-01-01T00:00:00Z.
const NOT_BEFORE: i64 = 1_735_689_600;
/// notAfter of every certificate but the expired one: 2125-01-01T00:00:00Z.
const NOT_AFTER: i64 = 4_891_363_200;
/// The expired leaf's validity: 2000-01-01 to 2001-01-01.
const EXPIRED_NOT_BEFORE: i64 = 946_684_800;
const EXPIRED_NOT_AFTER: i64 = 978_307_200;
/// The injected clock: 2030-01-01T00:00:00Z.
const NOW: i64 = 1_893_456_000;

const SUBJECT_LOCALHOST: &str = "O=tls12 test PKI, CN=localhost";
const SUBJECT_RSA_INTERMEDIATE: &str = "O=tls12 test PKI, CN=tls12 test RSA intermediate CA";

fn data(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-data")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn chain(path: &str) -> Vec<Vec<u8>> {
    certs_from_pem(&data(path)).unwrap()
}

fn cert(path: &str) -> Vec<u8> {
    let mut certs = chain(path);
    assert_eq!(certs.len(), 1, "{path} should hold one certificate");
    certs.remove(0)
}

fn anchors(path: &str) -> TrustAnchors {
    TrustAnchors::from_pem(&data(path)).unwrap()
}

fn key(path: &str) -> SigningKey {
    SigningKey::from_pem(&data(path)).unwrap()
}

/// Checks `chain_file` as a server chain for `name` against the RSA root.
fn rsa_server(chain_file: &str, name: &str, now: i64) -> Result<(), CertificateError> {
    verify_server_chain(&chain(chain_file), &anchors("rsa/root.pem"), name, now)
}

// --- Good chains -------------------------------------------------------------

#[test]
fn good_chains_verify_for_every_name_in_the_certificate() {
    for (chain_file, root) in [
        ("rsa/localhost.chain.pem", "rsa/root.pem"),
        ("ecdsa/localhost.chain.pem", "ecdsa/root.pem"),
    ] {
        for name in [
            "localhost",
            "LocalHost",
            "localhost.",
            "127.0.0.1",
            "::1",
            "0:0:0:0:0:0:0:1",
            "a.test.localhost",
            "WWW.Test.Localhost",
        ] {
            assert_eq!(
                verify_server_chain(&chain(chain_file), &anchors(root), name, NOW),
                Ok(()),
                "{chain_file} for {name}"
            );
        }
    }
}

#[test]
fn good_chains_verify_at_the_real_current_time() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let now = i64::try_from(now).unwrap();
    assert_eq!(
        rsa_server("rsa/localhost.chain.pem", "localhost", now),
        Ok(())
    );
}

#[test]
fn a_root_sent_in_the_chain_is_accepted() {
    let mut full = chain("rsa/localhost.chain.pem");
    full.push(cert("rsa/root.pem"));
    assert_eq!(
        verify_server_chain(&full, &anchors("rsa/root.pem"), "localhost", NOW),
        Ok(())
    );
}

#[test]
fn client_chains_verify_as_clients_only() {
    for (chain_file, root) in [
        ("rsa/client.chain.pem", "rsa/root.pem"),
        ("ecdsa/client.chain.pem", "ecdsa/root.pem"),
    ] {
        assert_eq!(
            verify_client_chain(&chain(chain_file), &anchors(root), NOW),
            Ok(()),
            "{chain_file}"
        );
        let err =
            verify_server_chain(&chain(chain_file), &anchors(root), "localhost", NOW).unwrap_err();
        assert!(
            matches!(
                err,
                CertificateError::WrongKeyUsage {
                    needed: "serverAuth",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.alert(), AlertDescription::UnsupportedCertificate);
    }
}

#[test]
fn server_chain_is_refused_as_a_client_chain() {
    let err = verify_client_chain(
        &chain("rsa/localhost.chain.pem"),
        &anchors("rsa/root.pem"),
        NOW,
    )
    .unwrap_err();
    assert_eq!(
        err,
        CertificateError::WrongKeyUsage {
            subject: SUBJECT_LOCALHOST.into(),
            needed: "clientAuth"
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnsupportedCertificate);
}

// --- Names ---------------------------------------------------------------------

#[test]
fn names_outside_the_subject_alt_name_do_not_match() {
    let presented: Vec<String> = ["localhost", "*.test.localhost", "127.0.0.1", "::1"]
        .map(String::from)
        .to_vec();
    for name in [
        "a.b.test.localhost", // the wildcard covers one label only
        "test.localhost",     // ... and at least one
        "localhost.localdomain",
        "127.0.0.2",
        "::2",
        "[::1]",
        "",
    ] {
        let err = rsa_server("rsa/localhost.chain.pem", name, NOW).unwrap_err();
        assert_eq!(
            err,
            CertificateError::NameMismatch {
                expected: name.into(),
                presented: presented.clone()
            }
        );
        assert_eq!(err.alert(), AlertDescription::BadCertificate);
    }
}

#[test]
fn wrong_name_certificate() {
    let err = rsa_server("bad/wrong-name.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::NameMismatch {
            expected: "localhost".into(),
            presented: vec!["wrong.example".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "certificate for wrong.example is not valid for localhost"
    );
    assert_eq!(err.alert(), AlertDescription::BadCertificate);
    // The chain itself is sound: only the name was wrong.
    assert_eq!(
        rsa_server("bad/wrong-name.chain.pem", "wrong.example", NOW),
        Ok(())
    );
}

#[test]
fn no_subject_alt_name_means_no_name_even_with_a_matching_cn() {
    let err = rsa_server("bad/no-san.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::NoSubjectAltName {
            subject: SUBJECT_LOCALHOST.into(),
            expected: "localhost".into()
        }
    );
    assert_eq!(err.alert(), AlertDescription::BadCertificate);
    // A client certificate needs no name.
    assert_eq!(
        verify_client_chain(
            &chain("bad/no-san.chain.pem"),
            &anchors("rsa/root.pem"),
            NOW
        ),
        Err(CertificateError::WrongKeyUsage {
            subject: SUBJECT_LOCALHOST.into(),
            needed: "clientAuth"
        })
    );
}

// --- Time ------------------------------------------------------------------------

#[test]
fn expired_leaf() {
    let err = rsa_server("bad/expired.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::Expired {
            subject: SUBJECT_LOCALHOST.into(),
            not_after: EXPIRED_NOT_AFTER
        }
    );
    assert_eq!(err.alert(), AlertDescription::CertificateExpired);
    assert!(
        err.to_string().contains("expired on Jan  1 00:00:00 2001"),
        "{err}"
    );
    // In 2000 the leaf was fine; the intermediate was not yet valid.
    let in_2000 = EXPIRED_NOT_BEFORE + 1;
    assert!(matches!(
        rsa_server("bad/expired.chain.pem", "localhost", in_2000),
        Err(CertificateError::NotYetValid { subject, .. }) if subject == SUBJECT_RSA_INTERMEDIATE
    ));
}

#[test]
fn validity_bounds_are_inclusive() {
    let at = |now| rsa_server("rsa/localhost.chain.pem", "localhost", now);
    assert_eq!(at(NOT_BEFORE), Ok(()));
    assert_eq!(at(NOT_AFTER), Ok(()));
    let early = at(NOT_BEFORE - 1).unwrap_err();
    assert_eq!(
        early,
        CertificateError::NotYetValid {
            subject: SUBJECT_LOCALHOST.into(),
            not_before: NOT_BEFORE
        }
    );
    assert_eq!(early.alert(), AlertDescription::CertificateExpired);
    let late = at(NOT_AFTER + 1).unwrap_err();
    assert_eq!(
        late,
        CertificateError::Expired {
            subject: SUBJECT_LOCALHOST.into(),
            not_after: NOT_AFTER
        }
    );
    assert_eq!(late.alert(), AlertDescription::CertificateExpired);
}

// --- Issuers -----------------------------------------------------------------------

#[test]
fn untrusted_root() {
    let err = rsa_server("untrusted/localhost.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::UnknownIssuer {
            subject: "O=tls12 test PKI, CN=tls12 untrusted intermediate CA".into(),
            issuer: "O=tls12 test PKI, CN=tls12 untrusted root CA".into()
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
    // Trusting that root makes the same chain good.
    assert_eq!(
        verify_server_chain(
            &chain("untrusted/localhost.chain.pem"),
            &anchors("untrusted/root.pem"),
            "localhost",
            NOW
        ),
        Ok(())
    );
}

#[test]
fn roots_of_the_other_algorithm_do_not_help() {
    let err = verify_server_chain(
        &chain("rsa/localhost.chain.pem"),
        &anchors("ecdsa/root.pem"),
        "localhost",
        NOW,
    )
    .unwrap_err();
    assert!(
        matches!(err, CertificateError::UnknownIssuer { .. }),
        "{err:?}"
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
}

#[test]
fn leaf_without_its_intermediate() {
    let leaf_only = vec![cert("rsa/localhost.pem")];
    let err =
        verify_server_chain(&leaf_only, &anchors("rsa/root.pem"), "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::UnknownIssuer {
            subject: SUBJECT_LOCALHOST.into(),
            issuer: SUBJECT_RSA_INTERMEDIATE.into()
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
}

#[test]
fn chain_out_of_order_with_the_root_verifies() {
    // §7.4.2 asks for the order leaf, issuer, its issuer...; we build the
    // path whatever the order (RFC 8446 §4.4.2 asks receivers to).
    let good = chain("rsa/localhost.chain.pem");
    let shuffled = vec![good[0].clone(), cert("rsa/root.pem"), good[1].clone()];
    assert_eq!(
        verify_server_chain(&shuffled, &anchors("rsa/root.pem"), "localhost", NOW),
        Ok(())
    );
}

#[test]
fn intermediate_that_is_not_a_ca() {
    let err = rsa_server("bad/not-ca.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::IssuerNotCa {
            subject: "O=tls12 test PKI, CN=tls12 test not-a-CA".into()
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
}

#[test]
fn ca_without_key_cert_sign() {
    let err = rsa_server("bad/no-cert-sign.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::IssuerCannotSign {
            subject: "O=tls12 test PKI, CN=tls12 test CA without keyCertSign".into()
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
}

#[test]
fn path_length_constraint() {
    let err = rsa_server("bad/path-len.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::PathLenExceeded {
            subject: SUBJECT_RSA_INTERMEDIATE.into(),
            path_len: 0
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
}

#[test]
fn unknown_critical_extension() {
    let err = rsa_server("bad/unknown-critical.chain.pem", "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::UnhandledCriticalExtension {
            subject: SUBJECT_LOCALHOST.into(),
            oid: "1.3.6.1.4.1.55555.1.1".into()
        }
    );
    assert_eq!(err.alert(), AlertDescription::BadCertificate);
}

#[test]
fn version_1_certificate() {
    // §7.4.2: "The certificate type MUST be X.509v3". A v1 certificate has no
    // extensions, so nothing else would stop it as a client certificate.
    let err =
        verify_client_chain(&chain("bad/v1.chain.pem"), &anchors("rsa/root.pem"), NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::NotVersion3 {
            subject: SUBJECT_LOCALHOST.into(),
            version: 1
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnsupportedCertificate);
}

// --- Broken bytes ------------------------------------------------------------------

#[test]
fn truncated_and_garbage_der() {
    let good = chain("rsa/localhost.chain.pem");
    let leaf = &good[0];
    let cases: Vec<(Vec<Vec<u8>>, usize)> = vec![
        (vec![leaf[..leaf.len() / 2].to_vec(), good[1].clone()], 0),
        (vec![leaf[..leaf.len() - 1].to_vec(), good[1].clone()], 0),
        (vec![[leaf.as_slice(), &[0]].concat(), good[1].clone()], 0),
        (vec![Vec::new()], 0),
        (vec![b"not a certificate".to_vec()], 0),
        (vec![leaf.clone(), vec![0x30, 0x03, 1, 2, 3]], 1),
    ];
    for (bad_chain, index) in cases {
        let err = verify_server_chain(&bad_chain, &anchors("rsa/root.pem"), "localhost", NOW)
            .unwrap_err();
        assert!(
            matches!(err, CertificateError::BadEncoding { index: i, .. } if i == index),
            "{err:?}"
        );
        assert_eq!(err.alert(), AlertDescription::BadCertificate);
    }
}

/// `der` with the first (or, `from_end`, the last) occurrence of `from`
/// overwritten by `to`.
fn patch(der: &[u8], from: &[u8], to: &[u8], from_end: bool) -> Vec<u8> {
    let hits: Vec<usize> = der
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    let at = if from_end { hits.last() } else { hits.first() };
    let at = *at.expect("pattern present");
    let mut out = der.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

#[test]
fn malformed_certificate_structures() {
    let good = chain("rsa/localhost.chain.pem");
    let sha256_with_rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    let sha384_with_rsa = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
    // basicConstraints (2.5.29.19), critical, value SEQUENCE {} -> SET {}.
    let basic_constraints = [
        0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30,
    ];
    let broken_constraints = [
        0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x31,
    ];
    // subjectKeyIdentifier (2.5.29.14) renamed authorityKeyIdentifier (2.5.29.35).
    let (ski, aki) = (
        [0x06, 0x03, 0x55, 0x1d, 0x0e],
        [0x06, 0x03, 0x55, 0x1d, 0x23],
    );
    let cases = [
        // The outer signatureAlgorithm no longer matches the inner one.
        (
            patch(&good[0], &sha256_with_rsa, &sha384_with_rsa, true),
            "signatureAlgorithm differs",
        ),
        (
            patch(&good[0], &basic_constraints, &broken_constraints, false),
            "malformed extension 2.5.29.19",
        ),
        (patch(&good[0], &ski, &aki, false), "duplicate extensions"),
    ];
    for (leaf, reason) in cases {
        let err = verify_server_chain(
            &[leaf, good[1].clone()],
            &anchors("rsa/root.pem"),
            "localhost",
            NOW,
        )
        .unwrap_err();
        assert!(
            matches!(&err, CertificateError::BadEncoding { index: 0, reason: r } if r.contains(reason)),
            "{reason}: {err:?}"
        );
        assert_eq!(err.alert(), AlertDescription::BadCertificate);
    }
}

#[test]
fn tampered_signatures() {
    for (chain_file, root) in [
        ("rsa/localhost.chain.pem", "rsa/root.pem"),
        ("ecdsa/localhost.chain.pem", "ecdsa/root.pem"),
    ] {
        // The last byte of a certificate is the last byte of its signature;
        // flipping it in the leaf, then in the intermediate (checked
        // against the anchor).
        for (index, subject) in [(0, "localhost"), (1, "intermediate CA")] {
            let mut tampered = chain(chain_file);
            *tampered[index].last_mut().unwrap() ^= 1;
            let err = verify_server_chain(&tampered, &anchors(root), "localhost", NOW).unwrap_err();
            assert!(
                matches!(&err, CertificateError::BadSignature { subject: s } if s.ends_with(subject)),
                "{chain_file} #{index}: {err:?}"
            );
            assert_eq!(err.alert(), AlertDescription::BadCertificate);
        }
    }
}

#[test]
fn tampered_signed_content() {
    // Renaming the leaf changes the signed TBSCertificate, not the signature.
    let mut tampered = chain("rsa/localhost.chain.pem");
    let leaf = &mut tampered[0];
    let at = leaf
        .windows(b"localhost".len())
        .position(|w| w == b"localhost")
        .unwrap();
    leaf[at] = b'L';
    let err =
        verify_server_chain(&tampered, &anchors("rsa/root.pem"), "localhost", NOW).unwrap_err();
    assert!(
        matches!(err, CertificateError::BadSignature { .. }),
        "{err:?}"
    );
}

#[test]
fn chain_length_limit() {
    let good = chain("rsa/localhost.chain.pem");
    let with_copies = |n: usize| {
        let mut c = vec![good[0].clone()];
        c.extend(std::iter::repeat_n(good[1].clone(), n));
        c
    };
    let too_long = with_copies(MAX_CHAIN_LEN);
    let err =
        verify_server_chain(&too_long, &anchors("rsa/root.pem"), "localhost", NOW).unwrap_err();
    assert_eq!(
        err,
        CertificateError::ChainTooLong {
            len: MAX_CHAIN_LEN + 1,
            max: MAX_CHAIN_LEN
        }
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
    // At the limit the length is fine, and the copies are skipped: a
    // certificate already on the path is never tried again (RFC 4158 §5.2).
    let at_limit = with_copies(MAX_CHAIN_LEN - 1);
    let verification = verify_chain(
        &at_limit,
        &anchors("rsa/root.pem"),
        Purpose::ServerAuth,
        NOW,
        &PathLimits::default(),
    );
    assert_eq!(
        verification.result,
        Ok(ValidPath {
            intermediates: vec![1],
            anchor: 0
        })
    );
    assert_eq!(verification.signature_checks, 2);
}

#[test]
fn empty_chain() {
    let anchors = anchors("rsa/root.pem");
    let err = verify_server_chain(&[], &anchors, "localhost", NOW).unwrap_err();
    assert_eq!(err, CertificateError::EmptyChain);
    assert_eq!(err.alert(), AlertDescription::HandshakeFailure);
    assert_eq!(
        verify_client_chain(&[], &anchors, NOW),
        Err(CertificateError::EmptyChain)
    );
}

// --- Loading ---------------------------------------------------------------------------

#[test]
fn pem_loading() {
    let chain = chain("rsa/localhost.chain.pem");
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0], cert("rsa/localhost.pem"));
    assert_eq!(chain[1], cert("rsa/intermediate.pem"));
    assert_eq!(
        certs_from_pem(b"no PEM here"),
        Err(PemError::NoCertificates)
    );
    // A key file holds no certificate.
    assert_eq!(
        certs_from_pem(&data("rsa/client.key")),
        Err(PemError::NoCertificates)
    );
    assert!(matches!(
        TrustAnchors::from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        Err(PemError::BadCertificate(CertificateError::BadEncoding {
            index: 0,
            ..
        }))
    ));
    assert!(matches!(
        TrustAnchors::from_der(vec![cert("rsa/root.pem"), vec![1, 2, 3]]),
        Err(CertificateError::BadEncoding { index: 1, .. })
    ));
}

#[test]
fn leaf_subject_and_key_kind() {
    assert_eq!(
        leaf_subject(&cert("rsa/localhost.pem")).unwrap(),
        SUBJECT_LOCALHOST
    );
    let kinds = [
        ("rsa/localhost.pem", PublicKeyKind::Rsa { bits: 2048 }),
        ("rsa/root.pem", PublicKeyKind::Rsa { bits: 2048 }),
        ("ecdsa/localhost.pem", PublicKeyKind::EcdsaP256),
        ("ecdsa/intermediate.pem", PublicKeyKind::EcdsaP384),
    ];
    for (file, kind) in kinds {
        assert_eq!(public_key_kind(&cert(file)), Ok(kind), "{file}");
    }
    assert_eq!(
        PublicKeyKind::Rsa { bits: 2048 }.signature_kind(),
        SignatureKind::Rsa
    );
    assert_eq!(
        PublicKeyKind::EcdsaP384.signature_kind(),
        SignatureKind::Ecdsa
    );
    assert!(matches!(
        public_key_kind(b"junk"),
        Err(CertificateError::BadEncoding { .. })
    ));
}

// --- Keys ----------------------------------------------------------------------------------

#[test]
fn keys_load_in_all_three_formats() {
    // (file, PEM label, kind, certificate with the public half)
    let keys = [
        (
            "rsa/localhost.key",
            "RSA PRIVATE KEY",
            SignatureKind::Rsa,
            "rsa/localhost.pem",
        ),
        (
            "rsa/localhost.pkcs8.key",
            "PRIVATE KEY",
            SignatureKind::Rsa,
            "rsa/localhost.pem",
        ),
        (
            "rsa/client.key",
            "PRIVATE KEY",
            SignatureKind::Rsa,
            "rsa/client.pem",
        ),
        (
            "ecdsa/localhost.key",
            "EC PRIVATE KEY",
            SignatureKind::Ecdsa,
            "ecdsa/localhost.pem",
        ),
        (
            "ecdsa/localhost.pkcs8.key",
            "PRIVATE KEY",
            SignatureKind::Ecdsa,
            "ecdsa/localhost.pem",
        ),
        (
            "ecdsa/client.key",
            "PRIVATE KEY",
            SignatureKind::Ecdsa,
            "ecdsa/client.pem",
        ),
        (
            "ecdsa/intermediate.key",
            "PRIVATE KEY",
            SignatureKind::Ecdsa,
            "ecdsa/intermediate.pem",
        ),
    ];
    for (file, label, kind, cert_file) in keys {
        let pem = data(file);
        assert!(
            pem.starts_with(format!("-----BEGIN {label}-----").as_bytes()),
            "{file} is not {label}"
        );
        let key = SigningKey::from_pem(&pem).unwrap();
        assert_eq!(key.kind(), kind, "{file}");
        assert_eq!(
            key.matches_certificate(&cert(cert_file)),
            Ok(true),
            "{file}"
        );
        // ... and not some other certificate of the same kind.
        let other = if kind == SignatureKind::Rsa {
            "rsa/root.pem"
        } else {
            "ecdsa/root.pem"
        };
        assert_eq!(key.matches_certificate(&cert(other)), Ok(false), "{file}");
    }
}

#[test]
fn keys_skip_other_pem_blocks_and_redact_debug() {
    // A certificate before the key, as in a combined PEM file.
    let combined = [data("ecdsa/localhost.pem"), data("ecdsa/localhost.key")].concat();
    let key = SigningKey::from_pem(&combined).unwrap();
    assert_eq!(
        key.matches_certificate(&cert("ecdsa/localhost.pem")),
        Ok(true)
    );
    assert_eq!(format!("{key:?}"), "SigningKey(ECDSA P-256, <redacted>)");
    assert_eq!(
        SigningKey::from_pem(&data("rsa/localhost.pem")).unwrap_err(),
        KeyError::NoPrivateKey
    );
}

#[test]
fn supported_schemes_per_key() {
    use SignatureScheme as S;
    assert_eq!(
        key("rsa/localhost.key").supported_schemes(),
        [
            S::RsaPssRsaeSha256,
            S::RsaPssRsaeSha384,
            S::RsaPssRsaeSha512,
            S::RsaPkcs1Sha256,
            S::RsaPkcs1Sha384,
            S::RsaPkcs1Sha512
        ]
    );
    assert_eq!(
        key("ecdsa/localhost.key").supported_schemes(),
        [S::EcdsaSecp256r1Sha256]
    );
    assert_eq!(
        key("ecdsa/intermediate.key").supported_schemes(),
        [S::EcdsaSecp384r1Sha384]
    );
}

#[test]
fn choose_scheme_prefers_our_order() {
    use SignatureScheme as S;
    let rsa = key("rsa/localhost.key");
    assert_eq!(
        rsa.choose_scheme(&[
            S::EcdsaSecp256r1Sha256,
            S::RsaPkcs1Sha384,
            S::RsaPkcs1Sha256
        ]),
        Some(S::RsaPkcs1Sha256)
    );
    assert_eq!(
        rsa.choose_scheme(&[S::RsaPkcs1Sha256, S::RsaPssRsaeSha512]),
        Some(S::RsaPssRsaeSha512)
    );
    assert_eq!(
        rsa.choose_scheme(&[S::EcdsaSecp256r1Sha256, S::Unknown(0x0201)]),
        None
    );
    let p256 = key("ecdsa/localhost.key");
    assert_eq!(
        p256.choose_scheme(&[S::RsaPkcs1Sha256, S::EcdsaSecp256r1Sha256]),
        Some(S::EcdsaSecp256r1Sha256)
    );
    assert_eq!(p256.choose_scheme(&[S::EcdsaSecp384r1Sha384]), None);
    assert_eq!(p256.choose_scheme(&[]), None);
}

#[test]
fn sign_then_verify_every_scheme_of_every_key() {
    let message = b"client_random + server_random + ServerECDHParams";
    for (key_file, cert_file) in [
        ("rsa/localhost.key", "rsa/localhost.pem"),
        ("rsa/client.key", "rsa/client.pem"),
        ("ecdsa/localhost.key", "ecdsa/localhost.pem"),
        ("ecdsa/localhost.pkcs8.key", "ecdsa/localhost.pem"),
        ("ecdsa/intermediate.key", "ecdsa/intermediate.pem"),
    ] {
        let key = key(key_file);
        let cert = cert(cert_file);
        for &scheme in key.supported_schemes() {
            let what = format!("{key_file} {}", scheme.rfc_name());
            let signature = key.sign(scheme, message).unwrap();
            assert_eq!(
                verify_signature(&cert, scheme, message, &signature),
                Ok(()),
                "{what}"
            );

            let mut tampered = signature.clone();
            tampered[signature.len() / 2] ^= 0x40;
            let err = verify_signature(&cert, scheme, message, &tampered).unwrap_err();
            assert_eq!(err, SignatureError::BadSignature, "{what}");
            assert_eq!(err.alert(), AlertDescription::DecryptError);

            assert_eq!(
                verify_signature(&cert, scheme, b"another message", &signature),
                Err(SignatureError::BadSignature),
                "{what}"
            );
        }
    }
}

#[test]
fn a_signature_only_verifies_under_its_own_scheme() {
    use SignatureScheme as S;
    let key = key("rsa/localhost.key");
    let cert = cert("rsa/localhost.pem");
    let message = b"m";
    let pkcs1 = key.sign(S::RsaPkcs1Sha256, message).unwrap();
    for other in [S::RsaPkcs1Sha384, S::RsaPssRsaeSha256] {
        assert_eq!(
            verify_signature(&cert, other, message, &pkcs1),
            Err(SignatureError::BadSignature)
        );
    }
}

#[test]
fn signatures_made_by_openssl_verify() {
    use SignatureScheme as S;
    let message = data("signatures/message.txt");
    let cases = [
        (
            "rsa_pkcs1_sha256.sig",
            "rsa/localhost.pem",
            S::RsaPkcs1Sha256,
        ),
        (
            "rsa_pkcs1_sha512.sig",
            "rsa/localhost.pem",
            S::RsaPkcs1Sha512,
        ),
        (
            "rsa_pss_rsae_sha256.sig",
            "rsa/localhost.pem",
            S::RsaPssRsaeSha256,
        ),
        (
            "rsa_pss_rsae_sha384.sig",
            "rsa/localhost.pem",
            S::RsaPssRsaeSha384,
        ),
        (
            "ecdsa_p256_sha256.sig",
            "ecdsa/localhost.pem",
            S::EcdsaSecp256r1Sha256,
        ),
        // TLS 1.2 lets any curve go with any hash; ring cannot sign these
        // two pairs, OpenSSL can.
        (
            "ecdsa_p256_sha384.sig",
            "ecdsa/localhost.pem",
            S::EcdsaSecp384r1Sha384,
        ),
        (
            "ecdsa_p384_sha256.sig",
            "ecdsa/intermediate.pem",
            S::EcdsaSecp256r1Sha256,
        ),
        (
            "ecdsa_p384_sha384.sig",
            "ecdsa/intermediate.pem",
            S::EcdsaSecp384r1Sha384,
        ),
    ];
    for (sig_file, cert_file, scheme) in cases {
        let signature = data(&format!("signatures/{sig_file}"));
        assert_eq!(
            verify_signature(&cert(cert_file), scheme, &message, &signature),
            Ok(()),
            "{sig_file}"
        );
    }
    // The RSA PKCS#1 signature is deterministic: ring makes the same one.
    assert_eq!(
        key("rsa/localhost.key")
            .sign(S::RsaPkcs1Sha256, &message)
            .unwrap(),
        data("signatures/rsa_pkcs1_sha256.sig")
    );
}

#[test]
fn wrong_scheme_for_the_key_is_refused() {
    use SignatureScheme as S;
    let rsa = key("rsa/localhost.key");
    let p256 = key("ecdsa/localhost.key");
    for (key, scheme) in [
        (&rsa, S::EcdsaSecp256r1Sha256),
        (&rsa, S::Unknown(0x0201)),
        (&p256, S::RsaPkcs1Sha256),
        (&p256, S::RsaPssRsaeSha256),
        // We sign ECDSA only with the curve's own hash.
        (&p256, S::EcdsaSecp384r1Sha384),
    ] {
        assert_eq!(
            key.sign(scheme, b"m"),
            Err(SignatureError::SchemeNotForKey { scheme })
        );
    }

    let ecdsa_signature = p256.sign(S::EcdsaSecp256r1Sha256, b"m").unwrap();
    for (cert_file, scheme) in [
        ("ecdsa/localhost.pem", S::RsaPkcs1Sha256),
        ("ecdsa/localhost.pem", S::RsaPssRsaeSha256),
        ("rsa/localhost.pem", S::EcdsaSecp256r1Sha256),
        ("rsa/localhost.pem", S::Unknown(0x0201)),
    ] {
        let err = verify_signature(&cert(cert_file), scheme, b"m", &ecdsa_signature).unwrap_err();
        assert_eq!(err, SignatureError::SchemeNotForKey { scheme });
        assert_eq!(err.alert(), AlertDescription::IllegalParameter);
    }
}

#[test]
fn verify_signature_with_a_broken_certificate() {
    let err = verify_signature(b"junk", SignatureScheme::RsaPkcs1Sha256, b"m", b"s").unwrap_err();
    assert!(
        matches!(
            err,
            SignatureError::Certificate(CertificateError::BadEncoding { .. })
        ),
        "{err:?}"
    );
    assert_eq!(err.alert(), AlertDescription::BadCertificate);
}

// --- A PKI generated by openssl for each rule (tests/pki/mod.rs) ------------------------

mod pki;

use pki::{ca, client_leaf, leaf, list, now, Issued, Pki, Spec};

/// A root, trusted, issuing `Spec`s below it.
struct Root {
    pki: Pki,
    root: Issued,
}

impl Root {
    /// A root whose own extensions are `ca(root_extra)`.
    fn new(tag: &str, root_extra: &str) -> Self {
        Self::named(tag, "/O=gen/CN=root", root_extra)
    }

    /// A root with subject `subject`.
    fn named(tag: &str, subject: &str, root_extra: &str) -> Self {
        let pki = Pki::new(tag);
        let root = pki.issue(&Spec {
            subject,
            extensions: &ca(root_extra),
            ..Spec::default()
        });
        Self { pki, root }
    }

    fn anchors(&self) -> TrustAnchors {
        TrustAnchors::from_der(vec![self.root.der.clone()]).unwrap()
    }

    /// A certificate issued by `issuer`.
    fn issue(&self, subject: &str, issuer: &Issued, extensions: &str) -> Issued {
        self.pki.issue(&Spec {
            subject,
            issuer: Some(issuer),
            extensions,
            ..Spec::default()
        })
    }

    /// `verify_chain` for a server, at the real time, default limits.
    fn verify(&self, chain: &[&Issued]) -> handshake::x509::Verification {
        self.verify_with(chain, &PathLimits::default())
    }

    fn verify_with(&self, chain: &[&Issued], limits: &PathLimits) -> handshake::x509::Verification {
        verify_chain(
            &list(chain),
            &self.anchors(),
            Purpose::ServerAuth,
            now(),
            limits,
        )
    }

    fn verify_name(&self, chain: &[&Issued], name: &str) -> Result<(), CertificateError> {
        verify_server_chain(&list(chain), &self.anchors(), name, now())
    }
}

// --- 1. Path building ------------------------------------------------------------------

#[test]
fn out_of_order_chain_with_extras_verifies() {
    let r = Root::new("order", "");
    let i2 = r.issue("/O=gen/CN=i2", &r.root, &ca(""));
    let i1 = r.issue("/O=gen/CN=i1", &i2, &ca(""));
    let host = r.issue("/O=gen/CN=host", &i1, &leaf("DNS:host.test"));
    let stranger = Root::new("stranger", "").root;
    let unrelated = r.issue("/O=gen/CN=unrelated CA", &r.root, &ca(""));
    let sent = [&host, &stranger, &r.root, &unrelated, &i2, &i1];
    let verification = r.verify(&sent);
    assert_eq!(
        verification.result,
        Ok(ValidPath {
            intermediates: vec![5, 4],
            anchor: 0
        })
    );
    // One signature per link: host by i1, i1 by i2, i2 by the anchor.
    assert_eq!(verification.signature_checks, 3);
    assert_eq!(r.verify_name(&sent, "host.test"), Ok(()));
    // Without i2 no path exists, whatever else is sent.
    let err = r
        .verify(&[&host, &stranger, &r.root, &i1])
        .result
        .unwrap_err();
    assert_eq!(
        err,
        CertificateError::UnknownIssuer {
            subject: "O=gen, CN=i1".into(),
            issuer: "O=gen, CN=i2".into()
        }
    );
}

#[test]
fn an_expired_candidate_is_passed_over_for_a_valid_one() {
    let r = Root::new("expired-alt", "");
    let key = r.pki.key("EC:P-256");
    let issuing = |days| {
        r.pki.issue(&Spec {
            subject: "/O=gen/CN=issuing",
            issuer: Some(&r.root),
            key: Some(&key),
            extensions: &ca(""),
            days,
            ..Spec::default()
        })
    };
    let (short, long) = (issuing(1), issuing(3650));
    let host = r.issue("/O=gen/CN=host", &long, &leaf("DNS:host.test"));
    let in_two_days = now() + 2 * 86_400;
    let at = |chain: &[&Issued]| {
        verify_chain(
            &list(chain),
            &r.anchors(),
            Purpose::ServerAuth,
            in_two_days,
            &PathLimits::default(),
        )
        .result
    };
    assert_eq!(
        at(&[&host, &short, &long]),
        Ok(ValidPath {
            intermediates: vec![2],
            anchor: 0
        })
    );
    assert!(
        matches!(at(&[&host, &short]), Err(CertificateError::Expired { subject, .. }) if subject == "O=gen, CN=issuing"),
    );
}

#[test]
fn a_candidate_whose_signature_fails_is_passed_over() {
    let r = Root::new("badsig-alt", "");
    let real = r.issue("/O=gen/CN=issuing", &r.root, &ca(""));
    let host = r.issue("/O=gen/CN=host", &real, &leaf("DNS:host.test"));
    // Same name, another key, and no subjectKeyIdentifier: only the
    // signature can tell it is not the issuer.
    let decoy = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca("subjectKeyIdentifier=none\n"),
    );
    let verification = r.verify(&[&host, &decoy, &real]);
    assert_eq!(
        verification.result,
        Ok(ValidPath {
            intermediates: vec![2],
            anchor: 0
        })
    );
    assert_eq!(verification.signature_checks, 3);
    let refused = r.verify(&[&host, &decoy]);
    assert_eq!(
        refused.result,
        Err(CertificateError::BadSignature {
            subject: "O=gen, CN=host".into()
        })
    );
    // With a subjectKeyIdentifier that contradicts the leaf's
    // authorityKeyIdentifier, the decoy costs no signature check at all.
    let labelled = r.issue("/O=gen/CN=issuing", &r.root, &ca(""));
    let verification = r.verify(&[&host, &labelled, &real]);
    assert!(verification.result.is_ok());
    assert_eq!(verification.signature_checks, 2);
}

#[test]
fn a_candidate_that_breaks_a_name_constraint_is_passed_over() {
    // Two certificates for the same CA key, as after a re-issue: one
    // constrained to other.test, one not.
    let r = Root::new("nc-alt", "");
    let key = r.pki.key("EC:P-256");
    let issuing = |extensions: &str| {
        r.pki.issue(&Spec {
            subject: "/O=gen/CN=issuing",
            issuer: Some(&r.root),
            key: Some(&key),
            extensions,
            ..Spec::default()
        })
    };
    let narrow = issuing(&ca("nameConstraints=permitted;DNS:other.test\n"));
    let wide = issuing(&ca(""));
    let host = r.issue("/O=gen/CN=host", &wide, &leaf("DNS:host.test"));
    assert!(r.verify(&[&host, &narrow, &wide]).result.is_ok());
    assert!(matches!(
        r.verify(&[&host, &narrow]).result,
        Err(CertificateError::NameNotPermitted { .. })
    ));
}

#[test]
fn a_cross_signed_root_leads_to_the_old_trusted_one() {
    // A new root, self-signed and not trusted by this client, also
    // cross-signed by the trusted old root (same name, same key). Servers
    // send both; only the path through the cross-certificate works.
    let old = Root::new("cross", "");
    let new_key = old.pki.key("EC:P-256");
    let new_root = |issuer: Option<&Issued>| {
        old.pki.issue(&Spec {
            subject: "/O=gen/CN=new root",
            issuer,
            key: Some(&new_key),
            extensions: &ca(""),
            ..Spec::default()
        })
    };
    let self_signed = new_root(None);
    let cross = new_root(Some(&old.root));
    let issuing = old.issue("/O=gen/CN=issuing", &self_signed, &ca(""));
    let host = old.issue("/O=gen/CN=host", &issuing, &leaf("DNS:host.test"));
    assert_eq!(
        old.verify(&[&host, &issuing, &self_signed, &cross]).result,
        Ok(ValidPath {
            intermediates: vec![1, 3],
            anchor: 0
        })
    );
    // Without the cross-certificate the chain ends at the untrusted root.
    assert_eq!(
        old.verify(&[&host, &issuing, &self_signed]).result,
        Err(CertificateError::UntrustedRoot {
            subject: "O=gen, CN=new root".into()
        })
    );
}

/// root <- ca1 <- ca2 <- ... <- ca`n` <- host, as a chain leaf first.
fn line_of_cas(r: &Root, n: usize) -> Vec<Issued> {
    let mut cas: Vec<Issued> = Vec::new();
    for i in 1..=n {
        let issuer = cas.last().unwrap_or(&r.root).clone();
        cas.push(r.issue(&format!("/O=gen/CN=ca{i}"), &issuer, &ca("")));
    }
    let host = r.issue(
        "/O=gen/CN=host",
        cas.last().unwrap(),
        &leaf("DNS:host.test"),
    );
    cas.push(host);
    cas.reverse();
    cas
}

#[test]
fn max_path_depth_bounds_the_intermediates() {
    let r = Root::new("depth", "");
    let chain = line_of_cas(&r, 3);
    let refs: Vec<&Issued> = chain.iter().collect();
    let limits = |max_path_depth| PathLimits {
        max_path_depth,
        ..PathLimits::default()
    };
    assert!(r.verify_with(&refs, &limits(3)).result.is_ok());
    let refused = r.verify_with(&refs, &limits(2));
    assert_eq!(
        refused.result,
        Err(CertificateError::PathTooDeep {
            subject: "O=gen, CN=ca2".into(),
            max: 2
        })
    );
    assert_eq!(
        refused.result.unwrap_err().alert(),
        AlertDescription::UnknownCa
    );
    assert_eq!(PathLimits::default().max_path_depth, 6);
}

#[test]
fn a_deep_hostile_chain_fails_after_max_path_depth_signatures() {
    // Nine intermediates in a line, the most MAX_CHAIN_LEN allows: the
    // search stops at the sixth, having checked six signatures, not nine.
    let r = Root::new("deep", "");
    let chain = line_of_cas(&r, MAX_CHAIN_LEN - 1);
    let refs: Vec<&Issued> = chain.iter().collect();
    let verification = r.verify(&refs);
    assert_eq!(
        verification.result,
        Err(CertificateError::PathTooDeep {
            subject: "O=gen, CN=ca4".into(),
            max: 6
        })
    );
    assert_eq!(verification.signature_checks, 6);
}

/// Three groups of three CA certificates: group A's all have subject A and
/// key KA and are signed by KB, group B's likewise by KC, group C's by a
/// key nobody trusts. Every A verifies under every B, every B under every
/// C: 3 + 9 + 27 paths to try, none ending at a trust anchor.
fn mesh(r: &Root) -> Vec<Issued> {
    let nowhere = r.pki.issue(&Spec {
        subject: "/O=gen/CN=nowhere",
        extensions: &ca(""),
        ..Spec::default()
    });
    let mut chain = Vec::new();
    let mut issuer = nowhere;
    for group in ["C", "B", "A"] {
        let members = r
            .pki
            .same_key_cas(&format!("/O=gen/CN=mesh {group}"), &issuer, 3);
        issuer = members[0].clone();
        chain.extend(members);
    }
    let host = r.issue("/O=gen/CN=host", &issuer, &leaf("DNS:host.test"));
    chain.push(host);
    chain.reverse();
    chain
}

#[test]
fn a_wide_hostile_chain_is_bounded_by_the_signature_budget() {
    let r = Root::new("wide", "");
    let chain = mesh(&r);
    assert_eq!(chain.len(), MAX_CHAIN_LEN);
    let refs: Vec<&Issued> = chain.iter().collect();
    // Explored whole: 3 + 3*3 + 3*3*3 signatures, then the deepest failure.
    let whole = r.verify(&refs);
    assert_eq!(whole.signature_checks, 39);
    assert_eq!(
        whole.result,
        Err(CertificateError::UnknownIssuer {
            subject: "O=gen, CN=mesh C".into(),
            issuer: "O=gen, CN=nowhere".into()
        })
    );
    // A budget below that stops the search at once, with its own error.
    let limits = PathLimits {
        max_signature_checks: 20,
        ..PathLimits::default()
    };
    let stopped = r.verify_with(&refs, &limits);
    assert_eq!(stopped.signature_checks, 20);
    assert_eq!(
        stopped.result,
        Err(CertificateError::TooManySignatureChecks { max: 20 })
    );
    assert_eq!(PathLimits::default().max_signature_checks, 100);
}

#[test]
fn a_client_chain_gets_a_lower_signature_budget() {
    let r = Root::new("maze", "");
    let client = r.pki.maze(&r.root, &client_leaf("DNS:client.test"));
    assert_eq!(client.len(), MAX_CHAIN_LEN);
    let refs: Vec<&Issued> = client.iter().collect();
    // The chain is good; finding its path costs 28 signature checks.
    let verify = |limits: &PathLimits| {
        verify_chain(
            &list(&refs),
            &r.anchors(),
            Purpose::ClientAuth,
            now(),
            limits,
        )
    };
    let within_100 = verify(&PathLimits::default());
    assert_eq!(within_100.signature_checks, 28);
    assert!(within_100.result.is_ok());
    // A server checking a client's chain stops at 16, the client's budget.
    assert_eq!(PathLimits::for_client_chains().max_signature_checks, 16);
    assert_eq!(DEFAULT_MAX_CLIENT_SIGNATURE_CHECKS, 16);
    let within_16 = verify(&PathLimits::for_client_chains());
    assert_eq!(within_16.signature_checks, 16);
    let refused = CertificateError::TooManySignatureChecks { max: 16 };
    assert_eq!(within_16.result, Err(refused.clone()));
    assert_eq!(
        verify_client_chain(&list(&refs), &r.anchors(), now()),
        Err(refused.clone())
    );
    assert_eq!(refused.alert(), AlertDescription::UnknownCa);
    // A client checking a server's chain keeps its budget of 100.
    let server = r.pki.maze(&r.root, &leaf("DNS:maze.test"));
    let refs: Vec<&Issued> = server.iter().collect();
    assert_eq!(PathLimits::default().max_signature_checks, 100);
    assert_eq!(r.verify_name(&refs, "maze.test"), Ok(()));
}

#[test]
fn a_sent_root_we_do_not_trust_is_named() {
    let r = Root::new("untrusted-root", "");
    let issuing = r.issue("/O=gen/CN=issuing", &r.root, &ca(""));
    let host = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:host.test"));
    let other = Root::named("other-root", "/O=gen/CN=other root", "");
    let err = verify_server_chain(
        &list(&[&host, &issuing, &r.root]),
        &other.anchors(),
        "host.test",
        now(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the chain ends at a root that is not trusted: O=gen, CN=root"
    );
    assert_eq!(err.alert(), AlertDescription::UnknownCa);
    // A self-signed leaf (even one that says CA:TRUE, as `openssl req
    // -x509` makes) is reported the same way.
    let self_signed = r.pki.issue(&Spec {
        subject: "/O=gen/CN=self",
        extensions: "basicConstraints=CA:TRUE\nsubjectAltName=DNS:self.test\n",
        ..Spec::default()
    });
    assert_eq!(
        r.verify(&[&self_signed]).result,
        Err(CertificateError::UntrustedRoot {
            subject: "O=gen, CN=self".into()
        })
    );
}

// --- 2. Name constraints ------------------------------------------------------------------

#[test]
fn a_trust_anchors_name_constraints_apply() {
    let r = Root::new(
        "nc-anchor",
        "nameConstraints=critical,permitted;DNS:example.com\n",
    );
    let issuing = r.issue("/O=gen/CN=issuing", &r.root, &ca(""));
    let good = r.issue("/O=gen/CN=www", &issuing, &leaf("DNS:www.example.com"));
    assert_eq!(r.verify_name(&[&good, &issuing], "www.example.com"), Ok(()));
    let bad = r.issue("/O=gen/CN=localhost", &issuing, &leaf("DNS:localhost"));
    let err = r.verify_name(&[&bad, &issuing], "localhost").unwrap_err();
    assert_eq!(
        err.to_string(),
        "trust anchor O=gen, CN=root: name localhost of certificate \"O=gen, CN=localhost\" \
         is outside its permitted subtrees (example.com) (RFC 5280 §4.2.1.10)"
    );
    assert_eq!(err.alert(), AlertDescription::BadCertificate);
}

#[test]
fn an_intermediates_name_constraints_apply_critical_or_not() {
    for critical in ["critical,", ""] {
        let r = Root::new("nc-intermediate", "");
        let issuing = r.issue(
            "/O=gen/CN=issuing",
            &r.root,
            &ca(&format!(
                "nameConstraints={critical}permitted;DNS:example.com\n"
            )),
        );
        let good = r.issue("/O=gen/CN=www", &issuing, &leaf("DNS:www.example.com"));
        assert_eq!(r.verify_name(&[&good, &issuing], "www.example.com"), Ok(()));
        let bad = r.issue(
            "/O=gen/CN=x",
            &issuing,
            &leaf("DNS:www.example.com,DNS:localhost"),
        );
        assert_eq!(
            r.verify(&[&bad, &issuing]).result,
            Err(CertificateError::NameNotPermitted {
                role: CaRole::Intermediate,
                ca: "O=gen, CN=issuing".into(),
                subject: "O=gen, CN=x".into(),
                name: "localhost".into(),
                permitted: vec!["example.com".into()]
            }),
            "{critical}"
        );
    }
}

#[test]
fn excluded_subtrees_win_over_permitted_ones() {
    let r = Root::new("nc-excluded", "");
    let issuing = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca("nameConstraints=critical,permitted;DNS:example.com,excluded;DNS:secret.example.com\n"),
    );
    let good = r.issue("/O=gen/CN=www", &issuing, &leaf("DNS:www.example.com"));
    assert!(r.verify(&[&good, &issuing]).result.is_ok());
    for san in [
        "secret.example.com",
        "a.secret.example.com",
        "*.example.com",
    ] {
        let bad = r.issue("/O=gen/CN=x", &issuing, &leaf(&format!("DNS:{san}")));
        assert_eq!(
            r.verify(&[&bad, &issuing]).result,
            Err(CertificateError::NameExcluded {
                role: CaRole::Intermediate,
                ca: "O=gen, CN=issuing".into(),
                subject: "O=gen, CN=x".into(),
                name: san.into(),
                excluded: "secret.example.com".into()
            })
        );
    }
}

#[test]
fn ip_address_constraints_use_the_mask() {
    let r = Root::new("nc-ip", "");
    let issuing = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca(
            "nameConstraints=critical,permitted;IP:10.0.0.0/255.0.0.0,permitted;IP:fd00::/ffff::\n",
        ),
    );
    for san in [
        "IP:10.1.2.3",
        "IP:fd00::1",
        "DNS:any.name,IP:10.255.255.255",
    ] {
        let good = r.issue("/O=gen/CN=ip", &issuing, &leaf(san));
        assert!(r.verify(&[&good, &issuing]).result.is_ok(), "{san}");
    }
    assert_eq!(
        r.verify_name(
            &[
                &r.issue("/O=gen/CN=ip", &issuing, &leaf("IP:10.1.2.3")),
                &issuing
            ],
            "10.1.2.3"
        ),
        Ok(())
    );
    let bad = r.issue("/O=gen/CN=ip", &issuing, &leaf("IP:11.1.2.3"));
    assert_eq!(
        r.verify(&[&bad, &issuing]).result,
        Err(CertificateError::NameNotPermitted {
            role: CaRole::Intermediate,
            ca: "O=gen, CN=issuing".into(),
            subject: "O=gen, CN=ip".into(),
            name: "11.1.2.3".into(),
            permitted: vec!["10.0.0.0/8".into(), "fd00::/16".into()]
        })
    );
}

#[test]
fn an_ip_constraint_with_a_broken_mask_fails_the_path() {
    let r = Root::new("nc-ip-mask", "");
    let issuing = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca("nameConstraints=critical,excluded;IP:10.0.0.0/255.0.255.0\n"),
    );
    // Whatever names the leaf has: the subtree cannot be read, so no name
    // can be shown to be outside it.
    for san in ["IP:10.1.2.3", "DNS:host.test"] {
        let host = r.issue("/O=gen/CN=host", &issuing, &leaf(san));
        assert_eq!(
            r.verify(&[&host, &issuing]).result,
            Err(CertificateError::MalformedNameConstraint {
                ca: "O=gen, CN=issuing".into(),
                subtree: "10.0.0.0/255.0.255.0".into(),
                reason: "an iPAddress subtree's mask is not a prefix of one bits"
            }),
            "{san}"
        );
    }
}

#[test]
fn directory_name_constraints_apply_to_the_subject() {
    let r = Root::new("nc-dn", "");
    let issuing = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca("nameConstraints=critical,permitted;dirName:dir\n[dir]\nO=good\n"),
    );
    let good = r.issue("/O=good/CN=host", &issuing, &leaf("DNS:host.test"));
    assert!(r.verify(&[&good, &issuing]).result.is_ok());
    let bad = r.issue("/O=evil/CN=host", &issuing, &leaf("DNS:host.test"));
    assert_eq!(
        r.verify(&[&bad, &issuing]).result,
        Err(CertificateError::NameNotPermitted {
            role: CaRole::Intermediate,
            ca: "O=gen, CN=issuing".into(),
            subject: "O=evil, CN=host".into(),
            name: "\"O=evil, CN=host\"".into(),
            permitted: vec!["\"O=good\"".into()]
        })
    );
}

#[test]
fn unsupported_constraint_types_matter_only_to_names_of_that_type() {
    let r = Root::new("nc-uri", "");
    let issuing = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca("nameConstraints=critical,permitted;URI:.example.com\n"),
    );
    let plain = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:host.test"));
    assert!(r.verify(&[&plain, &issuing]).result.is_ok());
    let with_uri = r.issue(
        "/O=gen/CN=host",
        &issuing,
        &leaf("DNS:host.test,URI:https://www.example.com/"),
    );
    assert_eq!(
        r.verify(&[&with_uri, &issuing]).result,
        Err(CertificateError::UnsupportedNameConstraint {
            role: CaRole::Intermediate,
            ca: "O=gen, CN=issuing".into(),
            subject: "O=gen, CN=host".into(),
            kind: "uniformResourceIdentifier"
        })
    );
}

// --- 2b. Name forms: malformed subtrees and names fail closed; rfc822Name --------------------

/// A root, and below it `CN=issuing` with `nameConstraints=critical,
/// {constraints}`: the CA each name-form test puts its leaves under.
fn constrained_ca(tag: &str, constraints: &str) -> (Root, Issued) {
    let r = Root::new(tag, "");
    let issuing = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca(&format!("nameConstraints=critical,{constraints}\n")),
    );
    (r, issuing)
}

/// A client leaf `subject` with subjectAltName `san` under `issuing`,
/// checked as a client chain (RFC 5246 §7.4.6).
fn client_under(
    r: &Root,
    issuing: &Issued,
    subject: &str,
    san: &str,
) -> Result<(), CertificateError> {
    let client = r.issue(subject, issuing, &client_leaf(san));
    verify_client_chain(&list(&[&client, issuing]), &r.anchors(), now())
}

/// The error for a name of `subject` outside the permitted `subtrees`.
fn not_permitted(subject: &str, name: &str, subtrees: &[&str]) -> CertificateError {
    CertificateError::NameNotPermitted {
        role: CaRole::Intermediate,
        ca: "O=gen, CN=issuing".into(),
        subject: subject.into(),
        name: name.into(),
        permitted: subtrees.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn a_malformed_excluded_subtree_fails_the_path() {
    // A wildcard is not a dNSName subtree: read as text it excluded only
    // the literal name `*.example.com`, so every host under it passed.
    let (r, issuing) = constrained_ca("nc-bad-excluded", "excluded;DNS:*.example.com");
    let refused = CertificateError::MalformedNameConstraint {
        ca: "O=gen, CN=issuing".into(),
        subtree: "*.example.com".into(),
        reason: "a dNSName subtree must be a DNS name, optionally with a leading period",
    };
    for san in ["DNS:www.example.com", "DNS:elsewhere.test", "IP:192.0.2.1"] {
        let host = r.issue("/O=gen/CN=host", &issuing, &leaf(san));
        let result = r.verify(&[&host, &issuing]).result;
        assert_eq!(result, Err(refused.clone()), "{san}");
    }
    assert_eq!(refused.alert(), AlertDescription::BadCertificate);
    assert_eq!(
        refused.to_string(),
        "CA certificate \"O=gen, CN=issuing\" has a name constraint *.example.com we cannot \
         read: a dNSName subtree must be a DNS name, optionally with a leading period \
         (RFC 5280 §4.2.1.10)"
    );
}

#[test]
fn a_malformed_permitted_subtree_fails_the_path() {
    // The wildcard subtree held the wildcard leaf by string equality.
    let (r, issuing) = constrained_ca("nc-bad-permitted", "permitted;DNS:*.example.com");
    let wildcard = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:*.example.com"));
    assert_eq!(
        r.verify(&[&wildcard, &issuing]).result,
        Err(CertificateError::MalformedNameConstraint {
            ca: "O=gen, CN=issuing".into(),
            subtree: "*.example.com".into(),
            reason: "a dNSName subtree must be a DNS name, optionally with a leading period",
        })
    );
    // A malformed subtree of another type fails the path too, though the
    // leaf has no name of that type: the CA's constraints cannot be read.
    let (r, issuing) = constrained_ca(
        "nc-bad-permitted-mail",
        "permitted;DNS:example.com,permitted;email:@example.com",
    );
    assert_eq!(
        client_under(&r, &issuing, "/O=gen/CN=client", "DNS:www.example.com"),
        Err(CertificateError::MalformedNameConstraint {
            ca: "O=gen, CN=issuing".into(),
            subtree: "@example.com".into(),
            reason: "an rfc822Name subtree must be a mailbox, a host, or a domain with a \
                     leading period",
        })
    );
}

#[test]
fn an_invalid_dns_name_never_satisfies_a_subtree() {
    // `.example.com` ends with ".example.com", but names no host.
    let (r, issuing) = constrained_ca("nc-bad-san", "permitted;DNS:example.com");
    let good = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:www.example.com"));
    assert!(r.verify(&[&good, &issuing]).result.is_ok());
    let malformed = |subject: &str| CertificateError::MalformedName {
        role: CaRole::Intermediate,
        ca: "O=gen, CN=issuing".into(),
        subject: subject.into(),
        name: ".example.com".into(),
        kind: "dNSName",
    };
    let dotted = r.issue("/O=gen/CN=dotted", &issuing, &leaf("DNS:.example.com"));
    let refused = r.verify(&[&dotted, &issuing]).result.unwrap_err();
    assert_eq!(refused, malformed("O=gen, CN=dotted"));
    assert_eq!(refused.alert(), AlertDescription::BadCertificate);
    // Under excluded subtrees only, it cannot be shown outside them either.
    let (r, issuing) = constrained_ca("nc-bad-san-excluded", "excluded;DNS:secret.example.com");
    let dotted = r.issue("/O=gen/CN=dotted", &issuing, &leaf("DNS:.example.com"));
    assert_eq!(
        r.verify(&[&dotted, &issuing]).result,
        Err(malformed("O=gen, CN=dotted"))
    );
}

#[test]
fn rfc822_permitted_subtrees_are_a_mailbox_a_host_or_a_domain() {
    let subject = "O=gen, CN=client";
    // (subtree, address, accepted): RFC 5280 §4.2.1.10's three forms.
    let cases: [(&str, &[(&str, bool)]); 3] = [
        (
            "root@example.com",
            &[
                ("root@example.com", true),
                ("root@EXAMPLE.com", true),
                ("Root@example.com", false),
                ("admin@example.com", false),
            ],
        ),
        (
            "example.com",
            &[
                ("anyone@example.com", true),
                ("anyone@mail.example.com", false),
            ],
        ),
        (
            ".example.com",
            &[
                ("anyone@mail.example.com", true),
                ("anyone@a.b.example.com", true),
                ("anyone@example.com", false),
                ("anyone@notexample.com", false),
            ],
        ),
    ];
    for (subtree, addresses) in cases {
        let (r, issuing) = constrained_ca("nc-mail", &format!("permitted;email:{subtree}"));
        for &(address, accepted) in addresses {
            let result = client_under(
                &r,
                &issuing,
                "/O=gen/CN=client",
                &format!("email:{address}"),
            );
            let expected = if accepted {
                Ok(())
            } else {
                Err(not_permitted(subject, address, &[subtree]))
            };
            assert_eq!(result, expected, "{address} under permitted {subtree}");
        }
    }
}

#[test]
fn rfc822_excluded_subtrees_are_a_mailbox_a_host_or_a_domain() {
    let cases: [(&str, &[(&str, bool)]); 3] = [
        (
            "root@example.com",
            &[("root@example.com", false), ("admin@example.com", true)],
        ),
        (
            "example.com",
            &[
                ("anyone@example.com", false),
                ("anyone@mail.example.com", true),
            ],
        ),
        (
            ".example.com",
            &[
                ("anyone@mail.example.com", false),
                ("anyone@example.com", true),
            ],
        ),
    ];
    for (subtree, addresses) in cases {
        let (r, issuing) = constrained_ca("nc-mail-x", &format!("excluded;email:{subtree}"));
        for &(address, accepted) in addresses {
            let result = client_under(
                &r,
                &issuing,
                "/O=gen/CN=client",
                &format!("email:{address}"),
            );
            let expected = if accepted {
                Ok(())
            } else {
                Err(CertificateError::NameExcluded {
                    role: CaRole::Intermediate,
                    ca: "O=gen, CN=issuing".into(),
                    subject: "O=gen, CN=client".into(),
                    name: address.into(),
                    excluded: subtree.into(),
                })
            };
            assert_eq!(result, expected, "{address} under excluded {subtree}");
        }
    }
}

#[test]
fn rfc822_constraints_hold_the_subjects_email_and_refuse_non_addresses() {
    let (r, issuing) = constrained_ca("nc-mail-subject", "permitted;email:.example.com");
    // §4.2.1.10: the subject's emailAddress attribute is an rfc822Name too.
    let subject = "O=gen, CN=client, Email=anyone@elsewhere.test";
    assert_eq!(
        client_under(
            &r,
            &issuing,
            "/O=gen/CN=client/emailAddress=anyone@elsewhere.test",
            "email:anyone@mail.example.com",
        ),
        Err(not_permitted(
            subject,
            "anyone@elsewhere.test",
            &[".example.com"]
        ))
    );
    // A name that is no mailbox cannot be judged against a subtree.
    assert_eq!(
        client_under(&r, &issuing, "/O=gen/CN=client", "email:mail.example.com"),
        Err(CertificateError::MalformedName {
            role: CaRole::Intermediate,
            ca: "O=gen, CN=issuing".into(),
            subject: "O=gen, CN=client".into(),
            name: "mail.example.com".into(),
            kind: "rfc822Name",
        })
    );
}

#[test]
fn name_constraint_work_is_bounded() {
    let r = Root::new("nc-budget", "");
    let issuing = r.issue(
        "/O=gen/CN=issuing",
        &r.root,
        &ca("nameConstraints=excluded;DNS:a.test,excluded;DNS:b.test,excluded;DNS:c.test\n"),
    );
    let host = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:x.test,DNS:y.test"));
    // Two names against three excluded subtrees: six comparisons.
    let limits = |max_name_comparisons| PathLimits {
        max_name_comparisons,
        ..PathLimits::default()
    };
    assert!(r.verify_with(&[&host, &issuing], &limits(6)).result.is_ok());
    assert_eq!(
        r.verify_with(&[&host, &issuing], &limits(5)).result,
        Err(CertificateError::TooManyNameComparisons { max: 5 })
    );
}

// --- 3. End-entity checks ------------------------------------------------------------------

#[test]
fn a_ca_certificate_is_refused_as_the_leaf() {
    let r = Root::new("ee-ca", "");
    let issuing = r.issue("/O=gen/CN=issuing", &r.root, &ca(""));
    let fine = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:host.test"));
    assert!(r.verify(&[&fine, &issuing]).result.is_ok());
    for (extensions, because) in [
        (
            "basicConstraints=critical,CA:TRUE\nsubjectAltName=DNS:host.test\n",
            "basicConstraints cA=TRUE",
        ),
        (
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyCertSign\n\
             subjectAltName=DNS:host.test\n",
            "keyUsage keyCertSign",
        ),
    ] {
        let host = r.issue("/O=gen/CN=host", &issuing, extensions);
        let err = r.verify(&[&host, &issuing]).result.unwrap_err();
        assert_eq!(
            err,
            CertificateError::EndEntityIsCa {
                subject: "O=gen, CN=host".into(),
                because
            }
        );
        assert_eq!(err.alert(), AlertDescription::UnsupportedCertificate);
        let client = verify_chain(
            &list(&[&host, &issuing]),
            &r.anchors(),
            Purpose::ClientAuth,
            now(),
            &PathLimits::default(),
        );
        assert!(matches!(
            client.result,
            Err(CertificateError::EndEntityIsCa { .. })
        ));
    }
}

#[test]
fn self_issued_intermediates_do_not_count_against_path_len() {
    // ca (pathlen:0) <- ca again, new key (a key rollover certificate:
    // self-issued) <- host. RFC 5280 §6.1.4(l) does not count it.
    let r = Root::new("pathlen-self", "");
    let old = r.issue(
        "/O=gen/CN=ca",
        &r.root,
        &ca("basicConstraints=critical,CA:TRUE,pathlen:0\n"),
    );
    let rollover = r.issue("/O=gen/CN=ca", &old, &ca(""));
    let host = r.issue("/O=gen/CN=host", &rollover, &leaf("DNS:host.test"));
    assert_eq!(
        r.verify(&[&host, &rollover, &old]).result,
        Ok(ValidPath {
            intermediates: vec![1, 2],
            anchor: 0
        })
    );
    // A sub-CA with another name does count.
    let sub = r.issue("/O=gen/CN=sub", &old, &ca(""));
    let host = r.issue("/O=gen/CN=host", &sub, &leaf("DNS:host.test"));
    assert_eq!(
        r.verify(&[&host, &sub, &old]).result,
        Err(CertificateError::PathLenExceeded {
            subject: "O=gen, CN=ca".into(),
            path_len: 0
        })
    );
}

// --- 4. Signature algorithms on certificates ----------------------------------------------

/// An RSA root, and an intermediate it signs with `digest` and `sigopts`.
fn rsa_signed(tag: &str, digest: &str, sigopts: &[&str]) -> (Root, Issued, Issued) {
    let pki = Pki::new(tag);
    let root_key = pki.key("RSA:2048");
    let root = pki.issue(&Spec {
        subject: "/O=gen/CN=rsa root",
        key: Some(&root_key),
        extensions: &ca(""),
        ..Spec::default()
    });
    let issuing = pki.issue(&Spec {
        subject: "/O=gen/CN=issuing",
        issuer: Some(&root),
        extensions: &ca(""),
        digest,
        sigopts,
        ..Spec::default()
    });
    let r = Root { pki, root };
    let host = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:host.test"));
    (r, issuing, host)
}

#[test]
fn rsa_pss_signatures_verify_with_the_standard_parameters_only() {
    for digest in ["-sha256", "-sha384", "-sha512"] {
        let (r, issuing, host) = rsa_signed(
            "pss",
            digest,
            &["rsa_padding_mode:pss", "rsa_pss_saltlen:digest"],
        );
        assert!(r.verify(&[&host, &issuing]).result.is_ok(), "{digest}");
    }
    // A salt shorter than the hash: RSASSA-PSS-params we do not accept.
    let (r, issuing, host) = rsa_signed(
        "pss-salt",
        "-sha256",
        &["rsa_padding_mode:pss", "rsa_pss_saltlen:20"],
    );
    let err = r.verify(&[&host, &issuing]).result.unwrap_err();
    assert!(
        matches!(&err, CertificateError::UnsupportedSignatureAlgorithm { subject, algorithm }
            if subject == "O=gen, CN=issuing" && algorithm.starts_with("RSASSA-PSS with parameters")),
        "{err:?}"
    );
    assert_eq!(err.alert(), AlertDescription::UnsupportedCertificate);
}

#[test]
fn ecdsa_p384_with_sha384_verifies() {
    let pki = Pki::new("p384");
    let key = pki.key("EC:P-384");
    let root = pki.issue(&Spec {
        subject: "/O=gen/CN=p384 root",
        key: Some(&key),
        extensions: &ca(""),
        digest: "-sha384",
        ..Spec::default()
    });
    let r = Root { pki, root };
    let host = r.pki.issue(&Spec {
        subject: "/O=gen/CN=host",
        issuer: Some(&r.root),
        extensions: &leaf("DNS:host.test"),
        digest: "-sha384",
        ..Spec::default()
    });
    assert!(r.verify(&[&host]).result.is_ok());
    // ecdsa-with-SHA512 is not among ring's (nor webpki's) algorithms.
    let sha512 = r.pki.issue(&Spec {
        subject: "/O=gen/CN=host",
        issuer: Some(&r.root),
        extensions: &leaf("DNS:host.test"),
        digest: "-sha512",
        ..Spec::default()
    });
    assert!(matches!(
        r.verify(&[&sha512]).result,
        Err(CertificateError::UnsupportedSignatureAlgorithm { .. })
    ));
}

#[test]
fn sha1_signatures_are_refused_with_a_clear_error() {
    let (r, issuing, host) = rsa_signed("sha1", "-sha1", &[]);
    let err = r.verify(&[&host, &issuing]).result.unwrap_err();
    assert_eq!(
        err,
        CertificateError::WeakSignatureAlgorithm {
            subject: "O=gen, CN=issuing".into(),
            algorithm: "sha1WithRSAEncryption"
        }
    );
    assert!(
        err.to_string()
            .contains("SHA-1 and MD5 signatures are refused"),
        "{err}"
    );
    assert_eq!(err.alert(), AlertDescription::BadCertificate);
    // ECDSA with SHA-1 too.
    let r = Root::new("ecdsa-sha1", "");
    let host = r.pki.issue(&Spec {
        subject: "/O=gen/CN=host",
        issuer: Some(&r.root),
        extensions: &leaf("DNS:host.test"),
        digest: "-sha1",
        ..Spec::default()
    });
    assert!(matches!(
        r.verify(&[&host]).result,
        Err(CertificateError::WeakSignatureAlgorithm {
            algorithm: "ecdsa-with-SHA1",
            ..
        })
    ));
}

#[test]
fn ed25519_is_refused_by_choice() {
    // signature.rs says why: no public CA issues Ed25519, and our suites
    // cannot use an Ed25519 leaf.
    let pki = Pki::new("ed25519");
    let key = pki.key("ED25519");
    let root = pki.issue(&Spec {
        subject: "/O=gen/CN=ed root",
        key: Some(&key),
        extensions: &ca(""),
        digest: "",
        ..Spec::default()
    });
    let r = Root { pki, root };
    let issuing = r.pki.issue(&Spec {
        subject: "/O=gen/CN=ed issuing",
        issuer: Some(&r.root),
        key: Some(&key),
        extensions: &ca(""),
        digest: "",
        ..Spec::default()
    });
    let host = r.issue("/O=gen/CN=host", &issuing, &leaf("DNS:host.test"));
    assert_eq!(
        r.verify(&[&host, &issuing]).result,
        Err(CertificateError::UnsupportedKey {
            subject: "O=gen, CN=ed issuing".into()
        })
    );
    // Signed by the Ed25519 root directly: the signature algorithm is named.
    let direct = r.pki.issue(&Spec {
        subject: "/O=gen/CN=host",
        issuer: Some(&r.root),
        extensions: &leaf("DNS:host.test"),
        digest: "",
        ..Spec::default()
    });
    assert_eq!(
        r.verify(&[&direct]).result,
        Err(CertificateError::UnsupportedSignatureAlgorithm {
            subject: "O=gen, CN=host".into(),
            algorithm: "Ed25519 (1.3.101.112)".into()
        })
    );
}

#[test]
fn a_leaf_whose_key_usage_forbids_signing_is_refused() {
    // RFC 5246 §7.4.2: "the certificate MUST allow the key to be used for
    // signing (the digitalSignature bit MUST be set if the key usage
    // extension is present)". Our ECDHE suites only ever sign with the
    // leaf's key: an ECDSA key fit only for keyAgreement, or an RSA one
    // fit only for keyEncipherment (static RSA, which we do not do), is
    // refused by `signing_key_kind`, which the handshake applies to every
    // peer leaf whatever checked its chain, and by path validation.
    let r = Root::new("key-usage", "");
    let rsa = r.pki.key("RSA:2048");
    let cases = [
        ("keyAgreement", None, "EC:P-256"),
        ("keyEncipherment", Some(rsa.as_path()), "RSA:2048"),
    ];
    for (usage, key, kind) in cases {
        let extensions = format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,{usage}\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=DNS:test\n"
        );
        let leaf = r.pki.issue(&Spec {
            subject: "/CN=test",
            issuer: Some(&r.root),
            key,
            extensions: &extensions,
            ..Spec::default()
        });
        let refused = CertificateError::WrongKeyUsage {
            subject: "CN=test".into(),
            needed: "digitalSignature",
        };
        assert_eq!(signing_key_kind(&leaf.der), Err(refused.clone()), "{kind}");
        assert_eq!(r.verify_name(&[&leaf], "test"), Err(refused), "{kind}");
        assert!(
            public_key_kind(&leaf.der).is_ok(),
            "{kind}: a key we support"
        );
    }
    // With digitalSignature, the same check gives the key's kind.
    let good = r.issue("/CN=test", &r.root, &leaf("DNS:test"));
    assert_eq!(signing_key_kind(&good.der), Ok(PublicKeyKind::EcdsaP256));
}
