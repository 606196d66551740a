#!/bin/sh
# Creates the tls12 test PKI: see README.md for what each file is for.
# Re-running replaces every key and certificate (the tests read them, so they
# keep passing; only hard-coded fingerprints would notice).
set -eu
cd "$(dirname "$0")"

CA_WORK=$(mktemp -d)
export CA_WORK
trap 'rm -rf "$CA_WORK"' EXIT
: > "$CA_WORK/index.txt"
echo 1000 > "$CA_WORK/serial"

# Fixed dates, so tests can pick a `now` before, inside and after them.
# `openssl x509 -days` cannot go back in time; `openssl ca -startdate/-enddate`
# can (OpenSSL 3.0 has no `x509 -not_before/-not_after`).
NOT_BEFORE=20250101000000Z
NOT_AFTER=21250101000000Z
EXPIRED_NOT_BEFORE=20000101000000Z
EXPIRED_NOT_AFTER=20010101000000Z
ORG="/O=tls12 test PKI"

rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -out "$1"; }

# issue OUT SUBJECT KEY PROFILE DIGEST ISSUER_CERT|self ISSUER_KEY [NOT_BEFORE NOT_AFTER]
# PROFILE "v1" makes an X.509 v1 certificate: `openssl ca` with no extensions.
issue() {
    out=$1 subject=$2 key=$3 profile=$4 digest=$5 issuer=$6 issuer_key=$7
    start=${8:-$NOT_BEFORE} end=${9:-$NOT_AFTER}
    openssl req -new -key "$key" -subj "$subject" -out "$CA_WORK/req.csr"
    if [ "$issuer" = self ]; then signer=-selfsign; else signer="-cert $issuer"; fi
    if [ "$profile" = v1 ]; then extensions=; else extensions="-extensions $profile"; fi
    # shellcheck disable=SC2086 # $signer and $extensions are 0-2 words on purpose
    openssl ca -batch -notext -preserveDN -config openssl.cnf $extensions \
        -md "$digest" -startdate "$start" -enddate "$end" \
        $signer -keyfile "$issuer_key" -in "$CA_WORK/req.csr" -out "$out" \
        2>"$CA_WORK/log" || { cat "$CA_WORK/log"; exit 1; }
}

mkdir -p rsa ecdsa bad untrusted

# --- RSA: root -> intermediate -> localhost, client ------------------------
rsa_key rsa/root.key
issue rsa/root.pem "$ORG/CN=tls12 test RSA root CA" rsa/root.key root_ca sha256 self rsa/root.key
rsa_key rsa/intermediate.key
issue rsa/intermediate.pem "$ORG/CN=tls12 test RSA intermediate CA" rsa/intermediate.key \
    intermediate_ca sha256 rsa/root.pem rsa/root.key
rsa_key rsa/localhost.pkcs8.key
openssl rsa -in rsa/localhost.pkcs8.key -traditional -out rsa/localhost.key 2>/dev/null
issue rsa/localhost.pem "$ORG/CN=localhost" rsa/localhost.key \
    server_rsa sha256 rsa/intermediate.pem rsa/intermediate.key
cat rsa/localhost.pem rsa/intermediate.pem > rsa/localhost.chain.pem
rsa_key rsa/client.key
issue rsa/client.pem "$ORG/CN=tls12 test RSA client" rsa/client.key \
    client sha512 rsa/intermediate.pem rsa/intermediate.key
cat rsa/client.pem rsa/intermediate.pem > rsa/client.chain.pem

# --- ECDSA: P-384 root -> P-384 intermediate -> P-256 localhost, client -----
ec_key ecdsa/root.key P-384
issue ecdsa/root.pem "$ORG/CN=tls12 test ECDSA root CA" ecdsa/root.key root_ca sha384 self ecdsa/root.key
ec_key ecdsa/intermediate.key P-384
issue ecdsa/intermediate.pem "$ORG/CN=tls12 test ECDSA intermediate CA" ecdsa/intermediate.key \
    intermediate_ca sha384 ecdsa/root.pem ecdsa/root.key
ec_key ecdsa/localhost.pkcs8.key P-256
openssl ec -in ecdsa/localhost.pkcs8.key -out ecdsa/localhost.key 2>/dev/null
issue ecdsa/localhost.pem "$ORG/CN=localhost" ecdsa/localhost.key \
    server_ecdsa sha384 ecdsa/intermediate.pem ecdsa/intermediate.key
cat ecdsa/localhost.pem ecdsa/intermediate.pem > ecdsa/localhost.chain.pem
ec_key ecdsa/client.key P-256
# ecdsa-with-SHA256 from a P-384 key: a curve/hash pair other than the server's.
issue ecdsa/client.pem "$ORG/CN=tls12 test ECDSA client" ecdsa/client.key \
    client sha256 ecdsa/intermediate.pem ecdsa/intermediate.key
cat ecdsa/client.pem ecdsa/intermediate.pem > ecdsa/client.chain.pem

# --- Broken chains, each with exactly one fault ------------------------------
rsa_key bad/leaf.key
rsa_key bad/ca.key

issue bad/expired.pem "$ORG/CN=localhost" bad/leaf.key server_rsa sha256 \
    rsa/intermediate.pem rsa/intermediate.key "$EXPIRED_NOT_BEFORE" "$EXPIRED_NOT_AFTER"
cat bad/expired.pem rsa/intermediate.pem > bad/expired.chain.pem

issue bad/wrong-name.pem "$ORG/CN=wrong.example" bad/leaf.key wrong_name sha256 \
    rsa/intermediate.pem rsa/intermediate.key
cat bad/wrong-name.pem rsa/intermediate.pem > bad/wrong-name.chain.pem

issue bad/no-san.pem "$ORG/CN=localhost" bad/leaf.key no_san sha256 \
    rsa/intermediate.pem rsa/intermediate.key
cat bad/no-san.pem rsa/intermediate.pem > bad/no-san.chain.pem

issue bad/unknown-critical.pem "$ORG/CN=localhost" bad/leaf.key unknown_critical sha256 \
    rsa/intermediate.pem rsa/intermediate.key
cat bad/unknown-critical.pem rsa/intermediate.pem > bad/unknown-critical.chain.pem

issue bad/v1.pem "$ORG/CN=localhost" bad/leaf.key v1 sha256 \
    rsa/intermediate.pem rsa/intermediate.key
cat bad/v1.pem rsa/intermediate.pem > bad/v1.chain.pem

# The RSA root issues a CA:FALSE certificate, which signs a localhost leaf.
issue bad/not-ca.pem "$ORG/CN=tls12 test not-a-CA" bad/ca.key not_ca sha256 \
    rsa/root.pem rsa/root.key
issue bad/not-ca-leaf.pem "$ORG/CN=localhost" bad/leaf.key server_rsa sha256 \
    bad/not-ca.pem bad/ca.key
cat bad/not-ca-leaf.pem bad/not-ca.pem > bad/not-ca.chain.pem

# The RSA root issues a CA whose keyUsage lacks keyCertSign, which signs a leaf.
issue bad/no-cert-sign-ca.pem "$ORG/CN=tls12 test CA without keyCertSign" bad/ca.key \
    no_cert_sign_ca sha256 rsa/root.pem rsa/root.key
issue bad/no-cert-sign-leaf.pem "$ORG/CN=localhost" bad/leaf.key server_rsa sha256 \
    bad/no-cert-sign-ca.pem bad/ca.key
cat bad/no-cert-sign-leaf.pem bad/no-cert-sign-ca.pem > bad/no-cert-sign.chain.pem

# The RSA intermediate (pathlen:0) issues a sub-CA, which signs a leaf.
issue bad/sub-ca.pem "$ORG/CN=tls12 test sub-CA" bad/ca.key sub_ca sha256 \
    rsa/intermediate.pem rsa/intermediate.key
issue bad/sub-ca-leaf.pem "$ORG/CN=localhost" bad/leaf.key server_rsa sha256 \
    bad/sub-ca.pem bad/ca.key
cat bad/sub-ca-leaf.pem bad/sub-ca.pem rsa/intermediate.pem > bad/path-len.chain.pem

# --- A second, separate root that no test trusts -----------------------------
rsa_key untrusted/root.key
issue untrusted/root.pem "$ORG/CN=tls12 untrusted root CA" untrusted/root.key \
    root_ca sha256 self untrusted/root.key
rsa_key untrusted/intermediate.key
issue untrusted/intermediate.pem "$ORG/CN=tls12 untrusted intermediate CA" untrusted/intermediate.key \
    intermediate_ca sha256 untrusted/root.pem untrusted/root.key
rsa_key untrusted/localhost.key
issue untrusted/localhost.pem "$ORG/CN=localhost" untrusted/localhost.key \
    server_rsa sha256 untrusted/intermediate.pem untrusted/intermediate.key
cat untrusted/localhost.pem untrusted/intermediate.pem > untrusted/localhost.chain.pem

# --- Signatures made by OpenSSL, so our verifier is checked against another
# implementation (and, for ECDSA, with curve/hash pairs ring cannot sign).
mkdir -p signatures
printf 'tls12 signed test message\n' > signatures/message.txt
sign() { # OUT KEY DIGEST [OPENSSL OPTIONS...]
    out=$1 key=$2 digest=$3
    shift 3
    openssl dgst "-$digest" -sign "$key" "$@" -out "signatures/$out" signatures/message.txt
}
sign rsa_pkcs1_sha256.sig rsa/localhost.key sha256
sign rsa_pkcs1_sha512.sig rsa/localhost.key sha512
sign rsa_pss_rsae_sha256.sig rsa/localhost.key sha256 \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
sign rsa_pss_rsae_sha384.sig rsa/localhost.key sha384 \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest
sign ecdsa_p256_sha256.sig ecdsa/localhost.key sha256
sign ecdsa_p256_sha384.sig ecdsa/localhost.key sha384
sign ecdsa_p384_sha256.sig ecdsa/intermediate.key sha256
sign ecdsa_p384_sha384.sig ecdsa/intermediate.key sha384

# Self-check with OpenSSL's own verifier, so a broken profile shows up here.
openssl verify -x509_strict -purpose sslserver -CAfile rsa/root.pem \
    -untrusted rsa/intermediate.pem rsa/localhost.pem
openssl verify -x509_strict -purpose sslserver -CAfile ecdsa/root.pem \
    -untrusted ecdsa/intermediate.pem ecdsa/localhost.pem
openssl verify -x509_strict -purpose sslclient -CAfile rsa/root.pem \
    -untrusted rsa/intermediate.pem rsa/client.pem
openssl verify -x509_strict -purpose sslclient -CAfile ecdsa/root.pem \
    -untrusted ecdsa/intermediate.pem ecdsa/client.pem
