//! The runner's command line: what this connection of the test asks of us.
//!
//! The runner (`../shared/bogo/src/ssl/test/runner/runner.go`) passes
//! BoringSSL's `bssl_shim` flags. A flag may carry the prefix `-on-initial`
//! (only the first connection) or `-on-resume` (only the resumptions); each
//! connection's [`Options`] is parsed from the flags that apply to it.
//! A flag for something this stack does not do is [`Parsed::Unimplemented`]:
//! the shim exits 89, which the runner counts as "not implemented".

/// What the command line asks of one connection.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub port: u16,
    pub shim_id: u64,
    pub ipv6: bool,
    pub server: bool,
    /// `-cert-file`, `-key-file`, `-signing-prefs` before any
    /// `-new-x509-credential`: the certificate used when none of
    /// `credentials` fits (BoringSSL's "default credential", index -1).
    pub default_credential: Credential,
    /// `-new-x509-credential`, each followed by its own `-cert-file`,
    /// `-key-file`, `-signing-prefs`, `-must-match-issuer`: the
    /// certificates to choose from, most preferred first.
    pub credentials: Vec<Credential>,
    /// `-expect-selected-credential N`: the index in `credentials` of the
    /// certificate presented, -1 for the default one.
    pub expect_selected_credential: Option<i64>,
    pub trust_cert: Option<String>,
    pub resume_count: usize,
    pub no_ticket: bool,
    pub expect_session_miss: bool,
    pub curves: Vec<u16>,
    pub verify_prefs: Vec<u16>,
    pub advertise_alpn: Vec<Vec<u8>>,
    pub select_alpn: Option<Vec<u8>>,
    pub decline_alpn: bool,
    pub reject_alpn: bool,
    pub expect_alpn: Option<Vec<u8>>,
    pub expect_no_alpn: bool,
    pub host_name: Option<String>,
    pub expect_server_name: Option<String>,
    pub expect_no_server_name: bool,
    pub require_any_client_certificate: bool,
    pub verify_peer: bool,
    pub verify_fail: bool,
    pub server_preference: bool,
    pub expect_extended_master_secret: bool,
    pub expect_no_extended_master_secret: bool,
    pub renegotiate: Renegotiate,
    pub expect_total_renegotiations: Option<u32>,
    pub check_close_notify: bool,
    pub shim_shuts_down: bool,
    pub shim_writes_first: bool,
    pub expect_version: Option<u16>,
    pub expect_cipher: Option<u16>,
    pub expect_curve_id: Option<u16>,
    pub expect_peer_signature_algorithm: Option<u16>,
    pub expect_session_id: bool,
    pub expect_no_session_id: bool,
    pub expect_no_session: bool,
    pub expect_secure_renegotiation: bool,
    pub expect_no_secure_renegotiation: bool,
    pub expect_peer_cert_file: Option<String>,
    pub expect_ticket_renewal: bool,
    pub export_keying_material: usize,
    pub export_label: String,
    pub export_context: String,
    pub use_export_context: bool,
    pub tls_unique: bool,
    pub read_size: Option<usize>,
    pub use_custom_verify_callback: bool,
    pub expect_verify_result: bool,
    pub policy: Option<Policy>,
}

/// A certificate, its key and how to use them.
#[derive(Clone, Debug, Default)]
pub struct Credential {
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    pub signing_prefs: Vec<u16>,
    pub must_match_issuer: bool,
}

/// BoringSSL's compliance policies (`SSL_set_compliance_policy`): which
/// suites, groups and signature schemes a connection may use, applied as
/// our configs' lists of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// `-fips-202205`: AES-GCM suites, P-256/P-384, SHA-2 signatures.
    Fips202205,
    /// `-wpa-202304`: AES-256-GCM, P-384, SHA-384/512 signatures.
    Wpa202304,
}

impl Options {
    /// The credential a `-cert-file`, `-key-file` or `-signing-prefs` flag
    /// applies to: the last `-new-x509-credential`, else the default one.
    fn credential(&mut self) -> &mut Credential {
        match self.credentials.last_mut() {
            Some(c) => c,
            None => &mut self.default_credential,
        }
    }

    /// The loopback address the runner listens on (`-ipv6` or not).
    pub fn runner_address(&self) -> &'static str {
        if self.ipv6 {
            "::1"
        } else {
            "127.0.0.1"
        }
    }
}

impl Policy {
    /// Is the cipher suite `v` allowed?
    pub fn allows_suite(self, v: u16) -> bool {
        match self {
            // TLS_ECDHE_{ECDSA,RSA}_WITH_AES_{128,256}_GCM_SHA{256,384}
            Self::Fips202205 => [0xc02b, 0xc02c, 0xc02f, 0xc030].contains(&v),
            Self::Wpa202304 => [0xc02c, 0xc030].contains(&v),
        }
    }

    /// Is the group `v` allowed (secp256r1 23, secp384r1 24)?
    pub fn allows_group(self, v: u16) -> bool {
        match self {
            Self::Fips202205 => [23, 24].contains(&v),
            Self::Wpa202304 => v == 24,
        }
    }

    /// Is the signature scheme `v` allowed?
    pub fn allows_scheme(self, v: u16) -> bool {
        // rsa_pkcs1_sha384/512, ecdsa_secp384r1_sha384, rsa_pss_rsae_sha384/512
        let wpa = [0x0501, 0x0601, 0x0503, 0x0805, 0x0806].contains(&v);
        match self {
            // and rsa_pkcs1_sha256, ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256
            Self::Fips202205 => wpa || [0x0401, 0x0403, 0x0804].contains(&v),
            Self::Wpa202304 => wpa,
        }
    }
}

/// How a client answers the server's HelloRequest (BoringSSL's
/// `ssl_renegotiate_mode_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Renegotiate {
    /// BoringSSL's default. We decline with a `no_renegotiation` warning
    /// (BoringSSL's refusal is fatal: those tests are disabled).
    #[default]
    Never,
    /// `-renegotiate-once`: the first request only, later ones declined
    /// as with `Never`.
    Once,
    /// `-renegotiate-freely`: whenever asked.
    Freely,
    /// `-renegotiate-ignore`: BoringSSL sends nothing; we decline with a
    /// warning, which the runner drops, so the test sees the same.
    Ignore,
}

/// The outcome of parsing.
pub enum Parsed {
    /// Run with these options, one per connection.
    Run(Vec<Options>),
    /// `-is-handshaker-supported`: answer and exit.
    HandshakerQuery,
    /// A flag for something we do not do (exit 89).
    Unimplemented(String),
    /// A malformed command line.
    Bad(String),
}

/// Flags that take no value and that we act on or that change nothing for
/// us (BoringSSL API modes: `-async`, `-implicit-handshake`, ...; version
/// switches for versions we never speak).
const SWITCHES: &[&str] = &[
    "-server",
    "-ipv6",
    "-no-ticket",
    "-expect-session-miss",
    "-decline-alpn",
    "-reject-alpn",
    "-expect-no-alpn",
    "-expect-no-server-name",
    "-require-any-client-certificate",
    "-verify-peer",
    "-verify-fail",
    "-server-preference",
    "-expect-extended-master-secret",
    "-expect-no-extended-master-secret",
    "-renegotiate-freely",
    "-renegotiate-once",
    "-renegotiate-ignore",
    "-check-close-notify",
    "-shim-shuts-down",
    "-shim-writes-first",
    "-expect-session-id",
    "-expect-no-session-id",
    "-expect-no-session",
    "-expect-secure-renegotiation",
    "-expect-no-secure-renegotiation",
    "-expect-ticket-renewal",
    "-use-export-context",
    "-tls-unique",
    "-new-x509-credential",
    "-must-match-issuer",
    "-use-custom-verify-callback",
    "-expect-verify-result",
    "-fips-202205",
    "-wpa-202304",
    // Our configs ask their verify callback about the stored chain on
    // every resumption (chain_check.rs); this asks BoringSSL to do so.
    "-reverify-on-resume",
    // No effect on this stack's behaviour as seen from the wire.
    "-async",
    "-implicit-handshake",
    "-no-tls13",
    "-no-tls11",
    "-no-tls1",
    "-no-ssl3",
    "-enable-all-curves",
    "-use-old-client-cert-callback",
    "-permute-extensions",
    "-forbid-renegotiation-after-handshake",
    // HelloRetryRequest exists only in TLS 1.3 (RFC 8446 §4.1.4): a TLS 1.2
    // handshake never has one, so the expectation always holds.
    "-expect-no-hrr",
    // BoringSSL's JDK 11 workaround changes only whether a server picks TLS
    // 1.3 for a JDK 11 ClientHello; a server without TLS 1.3 is unchanged by
    // it (the runner's Server-JDK11-TLS12-* tests check exactly that).
    "-jdk11-workaround",
];

/// Flags with one value.
const VALUED: &[&str] = &[
    "-port",
    "-shim-id",
    "-key-file",
    "-cert-file",
    "-expect-selected-credential",
    "-trust-cert",
    "-resume-count",
    "-curves",
    "-signing-prefs",
    "-verify-prefs",
    "-advertise-alpn",
    "-select-alpn",
    "-expect-alpn",
    "-host-name",
    "-expect-server-name",
    "-expect-total-renegotiations",
    "-expect-version",
    "-expect-cipher",
    "-expect-curve-id",
    "-expect-peer-signature-algorithm",
    "-expect-peer-cert-file",
    "-export-keying-material",
    "-export-label",
    "-export-context",
    "-read-size",
    "-min-version",
    "-max-version",
];

/// Parses the command line (without the program name).
pub fn parse(args: &[String]) -> Parsed {
    if args.first().map(String::as_str) == Some("-is-handshaker-supported") {
        return Parsed::HandshakerQuery;
    }
    // (flag, value, applies to: None = all, Some(true) = first only,
    // Some(false) = resumptions only)
    let mut flags: Vec<(String, Option<String>, Option<bool>)> = Vec::new();
    // Every flag we lack, so that the skip log names all a test needs.
    let mut unknown: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let (name, only) = split_prefix(&args[i]);
        i += 1;
        if SWITCHES.contains(&name) {
            flags.push((name.to_string(), None, only));
        } else if VALUED.contains(&name) {
            let Some(value) = args.get(i) else {
                return Parsed::Bad(format!("{name} needs a value"));
            };
            i += 1;
            flags.push((name.to_string(), Some(value.clone()), only));
        } else if args[i - 1].starts_with('-') {
            // (An unknown flag's value is skipped as not a flag.)
            unknown.push(&args[i - 1]);
        }
    }
    if !unknown.is_empty() {
        return Parsed::Unimplemented(unknown.join(" "));
    }
    let mut all = Options::default();
    for (name, value, _) in flags.iter().filter(|f| f.2.is_none()) {
        if let Err(e) = apply(&mut all, name, value.as_deref()) {
            return e;
        }
    }
    let connections = 1 + all.resume_count;
    let mut per_connection = Vec::with_capacity(connections);
    for n in 0..connections {
        let mut opts = all.clone();
        let first = n == 0;
        for (name, value, _) in flags.iter().filter(|f| f.2 == Some(first)) {
            if let Err(e) = apply(&mut opts, name, value.as_deref()) {
                return e;
            }
        }
        per_connection.push(opts);
    }
    Parsed::Run(per_connection)
}

/// `-on-initial-x` / `-on-resume-x` → (`-x`, which connections).
fn split_prefix(arg: &str) -> (&str, Option<bool>) {
    if let Some(rest) = arg.strip_prefix("-on-initial") {
        (rest, Some(true))
    } else if let Some(rest) = arg.strip_prefix("-on-resume") {
        (rest, Some(false))
    } else {
        (arg, None)
    }
}

fn apply(o: &mut Options, name: &str, value: Option<&str>) -> Result<(), Parsed> {
    let v = value.unwrap_or("");
    match name {
        "-port" => o.port = number(name, v)?,
        "-shim-id" => o.shim_id = number(name, v)?,
        "-ipv6" => o.ipv6 = true,
        "-server" => o.server = true,
        "-new-x509-credential" => o.credentials.push(Credential::default()),
        "-key-file" => o.credential().key_file = Some(v.to_string()),
        "-cert-file" => o.credential().cert_file = Some(v.to_string()),
        "-signing-prefs" => o.credential().signing_prefs.push(number(name, v)?),
        "-must-match-issuer" => match o.credentials.last_mut() {
            Some(c) => c.must_match_issuer = true,
            None => return Err(Parsed::Bad("-must-match-issuer before a credential".into())),
        },
        "-expect-selected-credential" => o.expect_selected_credential = Some(number(name, v)?),
        "-trust-cert" => o.trust_cert = Some(v.to_string()),
        "-resume-count" => o.resume_count = number(name, v)?,
        "-no-ticket" => o.no_ticket = true,
        "-expect-session-miss" => o.expect_session_miss = true,
        "-curves" => o.curves.push(number(name, v)?),
        "-verify-prefs" => o.verify_prefs.push(number(name, v)?),
        "-advertise-alpn" => o.advertise_alpn = alpn_list(v)?,
        "-select-alpn" => o.select_alpn = Some(v.as_bytes().to_vec()),
        "-decline-alpn" => o.decline_alpn = true,
        "-reject-alpn" => o.reject_alpn = true,
        "-expect-alpn" => o.expect_alpn = Some(v.as_bytes().to_vec()),
        "-expect-no-alpn" => o.expect_no_alpn = true,
        "-host-name" => o.host_name = Some(v.to_string()),
        "-expect-server-name" => o.expect_server_name = Some(v.to_string()),
        "-expect-no-server-name" => o.expect_no_server_name = true,
        "-require-any-client-certificate" => o.require_any_client_certificate = true,
        "-verify-peer" => o.verify_peer = true,
        "-verify-fail" => o.verify_fail = true,
        "-server-preference" => o.server_preference = true,
        "-expect-extended-master-secret" => o.expect_extended_master_secret = true,
        "-expect-no-extended-master-secret" => o.expect_no_extended_master_secret = true,
        "-renegotiate-freely" => o.renegotiate = Renegotiate::Freely,
        "-renegotiate-once" => o.renegotiate = Renegotiate::Once,
        "-renegotiate-ignore" => o.renegotiate = Renegotiate::Ignore,
        "-expect-total-renegotiations" => o.expect_total_renegotiations = Some(number(name, v)?),
        "-check-close-notify" => o.check_close_notify = true,
        "-shim-shuts-down" => o.shim_shuts_down = true,
        "-shim-writes-first" => o.shim_writes_first = true,
        "-expect-version" => o.expect_version = Some(number(name, v)?),
        "-expect-cipher" => o.expect_cipher = Some(number(name, v)?),
        "-expect-curve-id" => o.expect_curve_id = Some(number(name, v)?),
        "-expect-peer-signature-algorithm" => {
            o.expect_peer_signature_algorithm = Some(number(name, v)?)
        }
        "-expect-session-id" => o.expect_session_id = true,
        "-expect-no-session-id" => o.expect_no_session_id = true,
        "-expect-no-session" => o.expect_no_session = true,
        "-expect-secure-renegotiation" => o.expect_secure_renegotiation = true,
        "-expect-no-secure-renegotiation" => o.expect_no_secure_renegotiation = true,
        "-expect-peer-cert-file" => o.expect_peer_cert_file = Some(v.to_string()),
        "-expect-ticket-renewal" => o.expect_ticket_renewal = true,
        "-export-keying-material" => o.export_keying_material = number(name, v)?,
        "-export-label" => o.export_label = v.to_string(),
        "-export-context" => o.export_context = v.to_string(),
        "-use-export-context" => o.use_export_context = true,
        "-tls-unique" => o.tls_unique = true,
        "-read-size" => o.read_size = Some(number(name, v)?),
        "-use-custom-verify-callback" => o.use_custom_verify_callback = true,
        "-expect-verify-result" => o.expect_verify_result = true,
        "-fips-202205" => o.policy = Some(Policy::Fips202205),
        "-wpa-202304" => o.policy = Some(Policy::Wpa202304),
        // TLS 1.2 only: a range without it is one we cannot serve.
        "-min-version" if number::<u16>(name, v)? > TLS1_2 => return Err(unimplemented(name, v)),
        "-max-version" if number::<u16>(name, v)? < TLS1_2 => return Err(unimplemented(name, v)),
        "-min-version" | "-max-version" => {}
        _ => {} // the switches that change nothing for us
    }
    Ok(())
}

/// The protocol version this stack speaks (RFC 5246 §6.2.1).
pub const TLS1_2: u16 = 0x0303;

fn unimplemented(name: &str, v: &str) -> Parsed {
    Parsed::Unimplemented(format!("{name} {v}"))
}

fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, Parsed> {
    v.parse()
        .map_err(|_| Parsed::Bad(format!("{name}: {v:?} is not a number")))
}

/// `-advertise-alpn`'s wire form: each protocol preceded by its length.
fn alpn_list(v: &str) -> Result<Vec<Vec<u8>>, Parsed> {
    let mut bytes = v.as_bytes();
    let mut list = Vec::new();
    while let Some((&len, rest)) = bytes.split_first() {
        let len = usize::from(len);
        if rest.len() < len {
            return Err(Parsed::Bad(format!("-advertise-alpn {v:?} is cut short")));
        }
        list.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    Ok(list)
}
