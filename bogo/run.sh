#!/usr/bin/env bash
# BoGo, BoringSSL's TLS test suite, against our stack through bogo-shim.
#
# The runner: $BOGO_RUNNER, else ../shared/bogo/runner.test beside the
# repository, else built with ../shared/bogo/build-runner.sh, else (with
# network) built from boringssl at the pinned commit. Prints one line
# "N passed, N failed, N skipped" and exits non-zero on any failure.
# Extra arguments go to the runner (e.g. -test 'Renegotiate-*').
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
shared="$repo/../shared/bogo"
# The commit ../shared/bogo/src comes from (see its README).
pinned=b28d2e8fa
work="${BOGO_WORK:-$repo/target/bogo}"
mkdir -p "$work"

runner="${BOGO_RUNNER:-}"
if [ -z "$runner" ] && [ -x "$shared/runner.test" ]; then
  runner="$shared/runner.test"
fi
if [ -z "$runner" ] && [ -x "$shared/build-runner.sh" ]; then
  "$shared/build-runner.sh" "$work/runner.test"
  runner="$work/runner.test"
fi
if [ -z "$runner" ]; then
  if [ ! -d "$work/boringssl" ]; then
    git clone --quiet https://boringssl.googlesource.com/boringssl "$work/boringssl"
  fi
  git -C "$work/boringssl" checkout --quiet "$pinned"
  (cd "$work/boringssl/ssl/test/runner" && go test -c -o "$work/runner.test")
  runner="$work/runner.test"
fi

# The dev profile: the tests built its dependencies already (optimised,
# see [profile.dev.package."*"] in Cargo.toml).
cargo build --quiet -p bogo-shim --manifest-path "$repo/Cargo.toml"
shim="$repo/target/debug/bogo-shim"

results="$work/results.json"
# What the skipped tests need: the shim appends one line per exit 89.
skips="$work/unimplemented.log"
rm -f "$results" "$skips"
status=0
(cd "$work" && BOGO_SKIP_LOG="$skips" timeout 600 "$runner" \
  -shim-path "$shim" -shim-config "$here/config.json" \
  -allow-unimplemented -num-workers 2 -pipe \
  -json-output "$results" -test.timeout 9m "$@") >"$work/runner.log" 2>&1 || status=$?

if [ ! -s "$results" ]; then
  tail -n 30 "$work/runner.log"
  echo "BoGo: the runner wrote no results (exit $status)" >&2
  exit 1
fi
python3 - "$results" "$skips" "$work/unimplemented.txt" <<'PY'
import collections, json, os, sys
tests = json.load(open(sys.argv[1]))["tests"]
# The flags the skipped tests ask for, most wanted first, into
# unimplemented.txt (not printed: run.sh prints one line of figures).
if os.path.exists(sys.argv[2]):
    lines = open(sys.argv[2]).read().split("\n")
    need = collections.Counter(w for l in lines for w in set(l.split()) if w.startswith("-"))
    other = collections.Counter(l for l in lines if l and not l.startswith("-"))
    with open(sys.argv[3], "w") as out:
        for what, n in (need + other).most_common():
            print(f"{n:5} {what}", file=out)
count = lambda what: sum(1 for t in tests.values() if t["actual"] == what)
failed = sorted(n for n, t in tests.items() if t["actual"] == "FAIL")
for name in failed:
    print("FAILED:", name)
print(f"{count('PASS')} passed, {len(failed)} failed, {count('SKIP')} skipped")
sys.exit(1 if failed else 0)
PY
