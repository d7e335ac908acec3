#!/usr/bin/env bash
# The package as a user meets it: packs chunkwise (npm pack, which builds dist/ in prepack), installs the tarball into
# a fresh project made from test/consumer/project (plus its own vitest, vite, typescript and @types/node, pinned),
# writes the README's examples into it, typechecks it with tsc (module nodenext) and runs its vitest file.
# Prints "consumer: N passed, M failed" last; exits non-zero when anything failed.
# REDIS_URL (default redis://127.0.0.1:6379) is the Redis of the service example; CHUNKWISE_REQUIRE_REDIS=1 makes
# its absence a failure. The service example runs ffmpeg: from the PATH, else from FFMPEG_PATH/FFPROBE_PATH, else
# the binaries this checkout's development install has.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/chunkwise-consumer-XXXXXX")"
if [ "${CHUNKWISE_KEEP_CONSUMER:-}" = 1 ]; then echo "consumer: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi

fail() { echo "consumer: $*" >&2; echo "consumer: 0 passed, 1 failed"; exit 1; }

# Pack a copy of the checkout, so that the build behind npm pack leaves no dist/ in the checkout (a dist/ there
# would be what bin/chunkwise.js runs instead of the sources).
mkdir "$work/source"
(cd "$root" && tar -cf - package.json package-lock.json tsconfig.json tsconfig.build.json README.md LICENSE bin src sim) |
  tar -xf - -C "$work/source"
ln -s "$root/node_modules" "$work/source/node_modules"
(cd "$work/source" && npm pack --silent --pack-destination "$work" >"$work/pack.log" 2>&1) || {
  cat "$work/pack.log" >&2
  fail "npm pack failed"
}
tarball="$(ls "$work"/chunkwise-*.tgz)"
echo "consumer: packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) kB) at ${SECONDS} s"

cp -R "$here/project" "$work/app"
cd "$work/app"
npm install --no-audit --no-fund --loglevel=error "$tarball" >"$work/install.log" 2>&1 || {
  cat "$work/install.log" >&2
  fail "npm install of the tarball failed"
}
echo "consumer: installed at ${SECONDS} s"
node "$here/extract-readme.mjs" node_modules/chunkwise/README.md . || fail "the README's examples could not be extracted"

if ! command -v ffmpeg >/dev/null && [ -z "${FFMPEG_PATH:-}" ]; then
  for tool in ffmpeg ffprobe; do
    binary="$(cd "$root" && node -e "console.log(require('@$tool-installer/$tool').path)" 2>/dev/null || true)"
    [ -n "$binary" ] && export "$(echo "$tool" | tr a-z A-Z)_PATH=$binary"
  done
  echo "consumer: no ffmpeg on the PATH; the service example uses FFMPEG_PATH=${FFMPEG_PATH:-(none)}"
fi

echo "consumer: tsc (module nodenext)"
npx --no-install tsc -p tsconfig.json || fail "tsc failed"

echo "consumer: vitest at ${SECONDS} s"
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile="$work/vitest.json" || status=$?
counts="$(node -e '
  try {
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${r.numPassedTests} ${r.numFailedTests}`);
  } catch { console.log("0 1"); }
' "$work/vitest.json")"
passed="${counts% *}"
failed="${counts#* }"
if [ "$status" -ne 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "consumer: done in ${SECONDS} s"
echo "consumer: ${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" = 0 ]
