#!/usr/bin/env bash
# ARM64 checks under emulation (docs/platforms.md). On Linux x64:
#   1. publishes tests/SentenceMtl.PortableChecks self-contained for linux-arm64 and runs it under qemu-aarch64-static,
#      once as the CPU comes (int8 through sdot, the Dp extension) and once with DOTNET_EnableArm64Dp=0 (int8 through
#      the portable byte product);
#   2. runs the same checker on x64 with DOTNET_PreferredVectorBitWidth=128, which leaves only 128-bit vectors
#      accelerated (FMA stays on), so the engine and Vector<T> run the widths ARM64 runs;
#   3. compares the embeddings: int8 must be bit-identical across x64 and ARM64, float32 within 1e-6 (it is reported
#      as bit-identical or by its largest difference);
#   4. publishes tests/arm64/TrainingRefusal for linux-arm64 and checks that MultiTaskTrainer.Train there throws
#      PlatformNotSupportedException naming linux-arm64 instead of aborting the process.
# Installs qemu-user-static, libc6:arm64 and libstdc++6:arm64 with apt-get when they are missing (needs root), once.
# Says "skipped" and exits 0 only where it cannot run at all (not Linux x64, no dpkg/apt, or not root with the packages
# missing). Ends with "arm64 checks: N passed, N failed"; exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

skip() { echo "arm64 checks skipped: $*"; exit 0; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || skip "they run on Linux x64 (qemu user emulation of linux-arm64); this is $(uname -s) $(uname -m)."
command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip "no dpkg/apt-get to install qemu-user-static and the arm64 C libraries (Debian/Ubuntu only)."

packages_present() {
  command -v qemu-aarch64-static >/dev/null &&
    dpkg-query -W -f='${Status}\n' libc6:arm64 libstdc++6:arm64 2>/dev/null | grep -c '^install ok installed$' | grep -qx 2
}
if ! packages_present; then
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null || skip "qemu-user-static, libc6:arm64 or libstdc++6:arm64 is missing and this user cannot install them (not root, no sudo)."
    SUDO=sudo
  else
    SUDO=
  fi
  echo "installing qemu-user-static libc6:arm64 libstdc++6:arm64 (apt-get)"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6:arm64 libstdc++6:arm64 >/dev/null
  packages_present || { echo "arm64 checks: the packages did not install"; exit 1; }
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
status=0

# Runs a checker (its output shown), adds its closing "N passed, N failed" to the totals; a run that ends without that
# line (a crash) counts as one failure.
run_checker() {
  local name=$1 log="$out/$1.log" rc=0
  shift
  echo "== $name"
  "$@" >"$log" 2>&1 || rc=$?
  cat "$log"
  local counts
  counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)
  if [ -n "$counts" ]; then
    passed=$((passed + ${counts%% passed*}))
    failed=$((failed + $(echo "$counts" | sed -E 's/.* ([0-9]+) failed$/\1/')))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exited $rc without its closing line"
  fi
  [ "$rc" -eq 0 ] || status=1
}

publish() {
  dotnet publish "$1" -c Release -r "$2" --self-contained "$3" -o "$4" -v q -nologo -p:TreatWarningsAsErrors=true >"$out/publish.log" 2>&1 ||
    { cat "$out/publish.log"; echo "arm64 checks: publishing $1 for $2 failed"; exit 1; }
}

checks=tests/SentenceMtl.PortableChecks
publish "$checks" linux-arm64 true "$out/arm64"
publish "$checks" linux-x64 false "$out/x64"
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1

run_checker "linux-arm64 (qemu, sdot)" qemu-aarch64-static "$out/arm64/SentenceMtl.PortableChecks" --dump "$out/arm64.txt"
run_checker "linux-arm64 (qemu, DOTNET_EnableArm64Dp=0: portable int8)" \
  env DOTNET_EnableArm64Dp=0 qemu-aarch64-static "$out/arm64/SentenceMtl.PortableChecks" --dump "$out/arm64-portable.txt"
run_checker "linux-x64 at 128 bits (DOTNET_PreferredVectorBitWidth=128)" \
  env DOTNET_PreferredVectorBitWidth=128 "$out/x64/SentenceMtl.PortableChecks" --dump "$out/x64-128.txt"
run_checker "compare x64-128 with arm64 (sdot)" "$out/x64/SentenceMtl.PortableChecks" compare "$out/x64-128.txt" "$out/arm64.txt"
run_checker "compare x64-128 with arm64 (portable int8)" "$out/x64/SentenceMtl.PortableChecks" compare "$out/x64-128.txt" "$out/arm64-portable.txt"

echo "== training package on linux-arm64"
publish tests/arm64/TrainingRefusal linux-arm64 true "$out/training"
rc=0
rm -rf "$out/saved" && mkdir -p "$out/saved"
saved=$("$out/x64/SentenceMtl.PortableChecks" write-saved-model tests/SentenceMtl.Tests/MultiTask/Fixtures/multitask-v0.1.0 "$out/saved")
qemu-aarch64-static "$out/training/SentenceMtl.TrainingRefusal" "$saved" >"$out/training.log" 2>&1 || rc=$?
cat "$out/training.log"
if [ "$rc" -eq 0 ] && grep -q '^refused: .*linux-arm64' "$out/training.log"; then
  passed=$((passed + 1))
  echo "PASS training refusal: PlatformNotSupportedException naming linux-arm64, no abort"
else
  failed=$((failed + 1))
  status=1
  echo "FAIL training refusal: exit $rc (134 is SIGABRT), expected a PlatformNotSupportedException naming linux-arm64"
fi

[ "$failed" -eq 0 ] || status=1
echo "arm64 checks: ${passed} passed, ${failed} failed"
exit "$status"
