#!/bin/sh
# Creates constrained/, a name-constrained PKI for the fuzz target
# `name_constraints` (fuzz/src/names.rs): a P-256 root; an intermediate
# with nameConstraints (profile `constrained_ca` in openssl.cnf: permitted
# and excluded dNSName and rfc822Name subtrees); a leaf inside them. The
# root's and the intermediate's keys are kept as PKCS#8 DER, so that the
# target can sign certificates of its own under them. Separate from
# make.sh so that re-running one does not replace the other's files.
set -eu
cd "$(dirname "$0")"

CA_WORK=$(mktemp -d)
export CA_WORK
trap 'rm -rf "$CA_WORK"' EXIT
: > "$CA_WORK/index.txt"
echo 2000 > "$CA_WORK/serial"
ORG="/O=tls12 test PKI"
mkdir -p constrained
cd constrained

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
# issue OUT SUBJECT KEY PROFILE ISSUER_CERT|self ISSUER_KEY
issue() {
    openssl req -new -key "$3" -subj "$2" -out "$CA_WORK/req.csr"
    if [ "$5" = self ]; then signer=-selfsign; else signer="-cert $5"; fi
    # shellcheck disable=SC2086 # $signer is 1-2 words on purpose
    openssl ca -batch -notext -preserveDN -config ../openssl.cnf -extensions "$4" \
        -md sha256 -startdate 20250101000000Z -enddate 21250101000000Z \
        $signer -keyfile "$6" -in "$CA_WORK/req.csr" -out "$1" \
        2>"$CA_WORK/log" || { cat "$CA_WORK/log"; exit 1; }
}

ec_key root.key
issue root.pem "$ORG/CN=tls12 test constrained root CA" root.key root_ca self root.key
ec_key intermediate.key
issue intermediate.pem "$ORG/CN=tls12 test constrained CA" intermediate.key \
    constrained_ca root.pem root.key
ec_key leaf.key
issue leaf.pem "$ORG/CN=www.example.com" leaf.key constrained_leaf intermediate.pem intermediate.key
for name in root intermediate; do
    openssl pkcs8 -topk8 -nocrypt -in "$name.key" -outform DER -out "$name.pk8"
done
for name in intermediate leaf; do
    openssl x509 -in "$name.pem" -outform DER -out "$name.der"
done
rm root.key intermediate.key leaf.key

openssl verify -x509_strict -purpose sslserver -CAfile root.pem -untrusted intermediate.pem leaf.pem
