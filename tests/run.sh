#!/usr/bin/env bash
# The test command of the README: installs the real peers the tests start
# (when it can), then runs every test of the workspace.
#
#   tests/run.sh            # install what is missing, then `cargo test --workspace`
#   tests/run.sh --check    # only say what is missing (exit 2 if anything is)
#   tests/run.sh -- ARGS    # extra arguments for `cargo test --workspace`
#
# The interop tests talk to programs we did not write, from Debian's
# packages: nothing is mocked, so each must be on the machine. When one is
# missing and this script may install packages (root, or sudo without a
# password), it runs apt-get; otherwise it prints the exact command to run
# and stops, rather than letting the tests fail one by one.
set -euo pipefail
cd "$(dirname "$0")/.."

# tool → Debian package. A tool in /usr/sbin counts even when /usr/sbin is
# not on PATH (haproxy and nginx live there).
packages=(
  "openssl openssl"            # tests/openssl.rs, resumption_interop.rs, certificate PKIs
  "curl curl"                  # tests/curl.rs
  "redis-server redis-server"  # tests/farm.rs: the shared session store
  "redis-cli redis-tools"      # tests/farm.rs: plants values, restarts Redis
  "haproxy haproxy"            # tests/farm.rs: three servers behind one address
  "chromium chromium"          # tests/browser.rs: the demo page in a real browser
  "nginx nginx-light"          # benches/nginx.rs (compiled by the tests, run by cargo bench)
  "gnutls-serv gnutls-bin"     # tests/http10.rs, renegotiation against GnuTLS
  "gnutls-cli gnutls-bin"      # tests/exporter.rs: a GnuTLS client without EMS
  "tstclnt libnss3-tools"      # NSS's client: HTTP/1.0 against the example servers
)

missing=()
for entry in "${packages[@]}"; do
  read -r tool package <<<"$entry"
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    # Two tools may come from one package (gnutls-bin): name it once.
    [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
  fi
done

check_only=false
if [ "${1:-}" = "--check" ]; then
  check_only=true
  shift
fi
[ "${1:-}" = "--" ] && shift

if [ ${#missing[@]} -gt 0 ]; then
  echo "tests/run.sh: missing Debian packages: ${missing[*]}" >&2
  if $check_only; then
    exit 2
  fi
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "tests/run.sh: cannot install them here; run:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "tests/run.sh: no apt-get on this machine; install the programs of: ${missing[*]}" >&2
    exit 2
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
fi
$check_only && exit 0

exec cargo test --workspace "$@"
