#!/usr/bin/env bash
# Fuzzes the safetensors reader, the dataset readers, the config.json reader and the pytorch_model.bin checks with
# SharpFuzz and AFL++ for a bounded time.
#
#   fuzz/run.sh [seconds] [target ...]     seconds per target (default 60); targets: safetensors dataset config pytorch
#                                          (default all, side by side)
#
# Installs what is missing (afl++ from apt, the sharpfuzz local tool), publishes fuzz/SentenceMtl.Fuzz in Release,
# instruments SentenceMtl.dll (and CsvHelper.dll, which parses the CSV input) and runs afl-fuzz on every target at
# once, `-V seconds` each. Exits 1 when afl-fuzz saved a crash (an exception other than the documented one) or a
# hang, after printing each input and the exception it replays to; exits 1 as well when afl-fuzz could not run.
# Everything it writes goes to artifacts/fuzz/ (ignored by git): bin/, findings-<target>/, afl-<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors dataset config pytorch)
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: fuzz/run.sh [seconds] [safetensors|dataset|config|pytorch ...]" >&2
  exit 2
fi

out=artifacts/fuzz
harness="$out/bin/SentenceMtl.Fuzz.dll"

# --- Tools -----------------------------------------------------------------------------------------------------
if ! command -v afl-fuzz >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "fuzz: installing afl++"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
dotnet tool restore >/dev/null

# --- Build and instrument ----------------------------------------------------------------------------------------
# A fresh output folder each time: publish would not overwrite the instrumented copies, and SharpFuzz refuses to
# instrument an assembly twice.
rm -rf "$out"
mkdir -p "$out"
dotnet publish fuzz/SentenceMtl.Fuzz/SentenceMtl.Fuzz.csproj -c Release -o "$out/bin" -v quiet -nologo
for assembly in SentenceMtl.dll CsvHelper.dll; do
  dotnet sharpfuzz "$out/bin/$assembly"
done

# --- Fuzz --------------------------------------------------------------------------------------------------------
# Running as root in a container: no CPU governor to check, no core-dump handler to change, no terminal.
# SharpFuzz's fork server runs inside `dotnet`, which afl-fuzz cannot see instrumented (AFL_SKIP_BIN_CHECK).
# The targets run side by side on the machine's cores, so no fixed CPU binding.
# No debugger or diagnostics IPC for the thousands of short-lived .NET processes.
export DOTNET_EnableDiagnostics=0
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1 \
  AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 AFL_NO_CRASH_README=1
# The campaign's temporary files (the dataset target writes each input to a file) stay under artifacts/.
export TMPDIR="$PWD/$out/tmp"
mkdir -p "$TMPDIR"

declare -A pids
for target in "${targets[@]}"; do
  if [ ! -d "fuzz/seeds/$target" ]; then
    echo "fuzz: unknown target '$target' (known: $(ls fuzz/seeds | tr '\n' ' '))" >&2
    exit 2
  fi
  echo "fuzz: $target for ${seconds}s"
  # -t 5000: a .NET run that takes 5 s on inputs of a few KB is a hang. `timeout` is a backstop should afl-fuzz
  # itself not stop.
  timeout --kill-after=10 $((seconds + 120)) \
    afl-fuzz -i "fuzz/seeds/$target" -o "$out/findings-$target" -x "fuzz/dictionaries/$target.dict" \
    -t 5000 -m none -V "$seconds" -- dotnet "$harness" "$target" >"$out/afl-$target.log" 2>&1 &
  pids[$target]=$!
done

status=0
for target in "${targets[@]}"; do
  afl_status=0
  wait "${pids[$target]}" || afl_status=$?
  findings="$out/findings-$target/default"
  if [ "$afl_status" -ne 0 ] || [ ! -f "$findings/fuzzer_stats" ]; then
    echo "fuzz: $target: afl-fuzz failed (exit $afl_status); the end of its log:"
    tail -n 30 "$out/afl-$target.log"
    status=1
    continue
  fi

  stat_of() { sed -nE "s/^$1 +: (.*)/\1/p" "$findings/fuzzer_stats"; }
  echo "fuzz: $target: $(stat_of execs_done) execs ($(stat_of execs_per_sec)/s), $(stat_of corpus_count) paths," \
    "$(stat_of saved_crashes) crashes, $(stat_of saved_hangs) hangs in $(stat_of run_time)s"

  for kind in crashes hangs; do
    inputs=("$findings/$kind"/id:*)
    [ -e "${inputs[0]}" ] || continue
    status=1
    # The first few are enough to start from; afl-fuzz saves one per new path, often the same bug.
    for input in "${inputs[@]:0:5}"; do
      echo "fuzz: $target: $kind/$(basename "$input") ($(wc -c <"$input") bytes), base64:"
      base64 -w 0 "$input"
      echo
      echo "fuzz: replay: dotnet $harness $target < '$input'"
      (ulimit -c 0; timeout 20 dotnet "$harness" "$target" <"$input") 2>&1 | head -n 10 | sed 's/^/    /' || true
    done
    [ ${#inputs[@]} -le 5 ] || echo "fuzz: $target: $(( ${#inputs[@]} - 5 )) more $kind in $findings/$kind"
  done
done

if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (inputs above; findings in $out/findings-*/default/{crashes,hangs})"
else
  echo "fuzz: no crashes, no hangs"
fi
exit "$status"
