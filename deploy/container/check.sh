#!/usr/bin/env bash
# Builds the server image (deploy/container/Dockerfile) with podman from local base images, runs it as users will
# (read-only root file system, tmpfs /tmp only, the image's non-root user, no capabilities) and checks that:
#   - the process runs as a non-root uid, and nothing but /tmp is writable for it (outside /proc, /sys and /dev);
#   - GET /health/ready answers 200 within 120 s (then /health/live and /health too);
#   - /v1/embeddings equals in-process Encode bit for bit, and /classify equals in-process Predict (labels, and
#     probabilities within 1e-6), for a classifier saved on the host and mounted read-only (deploy/container/check).
# Prints the image's size and each step's time. Exit code 0: passed; 1: a check failed; 2: the setup failed.
#
#   sudo deploy/container/check.sh [--remove-bases]
#
# Installs podman, runc, mmdebstrap and curl with apt-get when missing, and creates /etc/containers/containers.conf with
# "default_ulimits = []" when that file does not exist (a file that exists is never changed: the script says what to
# add). It removes what it created (its container, the server image, its temporary folder); the base images
# (deploy/container/base/build.sh, label io.sentencemtl.check=base) stay for the next run unless --remove-bases.
# Every step is bounded in time; one run at a time (a lock).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
remove_bases=false
case "${1:-}" in
  "") ;;
  --remove-bases) remove_bases=true ;;
  *) echo "Usage: $0 [--remove-bases]" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "Run as root (rootful podman, apt-get and mmdebstrap): sudo $0" >&2
  exit 2
fi

exec 9>/run/lock/sentencemtl-container-check.lock
flock -w 1800 9 || { echo "Another container check has held the lock for 30 minutes." >&2; exit 2; }

started=$(date +%s)
step_start=$started
step() {  # step NAME: prints the time since the previous step
  local now
  now=$(date +%s)
  printf '  %-34s %4d s\n' "$1" "$((now - step_start))"
  step_start=$now
}

# --- Tools and podman's configuration ------------------------------------------------------------------------------
missing=()
for tool in podman runc mmdebstrap curl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get."
  timeout 900 apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
conf=/etc/containers/containers.conf
if [ ! -e "$conf" ]; then
  # This VM refuses podman's default rlimits: an empty list makes podman set none.
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n' > "$conf"
  echo "Created $conf (default_ulimits = [])."
elif ! grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=' "$conf"; then
  echo "Note: $conf sets no default_ulimits; if containers fail to start with an rlimit error, add" \
       "'default_ulimits = []' to its [containers] table." >&2
fi
step "tools"

# --- Base images, the server image, the check program --------------------------------------------------------------
bases=$(bash "$repo/deploy/container/base/build.sh")
sdk_image=$(sed -n 's/^SDK_IMAGE=//p' <<<"$bases")
runtime_image=$(sed -n 's/^RUNTIME_IMAGE=//p' <<<"$bases")
step "base images"

run_id="$(date +%s)-$$"
image=localhost/sentencemtl-check/server:$run_id
container=sentencemtl-check-$run_id
work=$(mktemp -d "${TMPDIR:-/var/tmp}/sentencemtl-check.XXXXXX")
cleanup() {
  podman rm -f --time 10 "$container" >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ "$remove_bases" = true ]; then
    podman images -q --filter label=io.sentencemtl.check=base | sort -u | xargs -r podman rmi -f >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# The build runs without network: NuGet is read from the host's package folder, mounted as an overlay (whatever the
# restore would write is discarded), with no package source. On this machine containers cannot reach NuGet at all;
# elsewhere it keeps the check to exactly the packages the host restored. The host restores first (a no-op once the
# solution is built) with the publish step's runtime identifier, so that every package the image needs is there.
packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')
printf '<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear /></packageSources></configuration>\n' \
  > "$work/NuGet.Config"
setup() {  # setup LOG_NAME WHAT COMMAND...: runs a setup command; on failure prints its log's end and exits 2
  local log=$work/$1 what=$2
  shift 2
  "$@" > "$log" 2>&1 || { tail -n 20 "$log" >&2; echo "FAILED (setup): $what." >&2; exit 2; }
}
setup restore.log "the host's restore of the server's packages" \
  timeout 600 nice dotnet restore "$repo/src/SentenceMtl.Server/SentenceMtl.Server.csproj" -p:_IsPublishing=true
if ! timeout 1200 nice podman build --runtime runc --layers=false --pull=never --network none \
    -v "$packages:/root/.nuget/packages:O" -v "$work/NuGet.Config:/root/.nuget/NuGet/NuGet.Config:ro" \
    --build-arg "SDK_IMAGE=$sdk_image" --build-arg "RUNTIME_IMAGE=$runtime_image" \
    -f "$repo/deploy/container/Dockerfile" -t "$image" "$repo" > "$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "FAILED: the image did not build (the log's end is above)." >&2
  exit 1
fi
step "server image"

check_dll=$repo/deploy/container/check/bin/Release/net10.0/SentenceMtl.ContainerCheck.dll
setup check-build.log "the build of deploy/container/check" \
  timeout 900 nice dotnet build "$repo/deploy/container/check" -c Release -nologo
setup classifier.log "saving the check's classifier" timeout 300 dotnet "$check_dll" save-classifier "$work/classifier"
chmod -R a+rX "$work/classifier"
step "check program and classifier"

# --- Run as users will, then compare -------------------------------------------------------------------------------
fail() {
  echo "FAILED: $*" >&2
  podman logs --tail 30 "$container" >&2 2>/dev/null || true
  exit 1
}
# --read-only-tmpfs=false: podman would otherwise add writable /var/tmp and /run; /tmp is the only writable path.
# --model is given: the image serves the stock all-MiniLM-L6-v2 beside the classifier (with --classifier alone the
# classifier's own encoder would serve the embeddings, under the classifier's name).
timeout 120 podman run -d --name "$container" --runtime runc \
  --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,size=256m \
  --cap-drop all --security-opt no-new-privileges \
  -v "$work/classifier:/classifier:ro" -p 127.0.0.1::8080 \
  "$image" --model all-MiniLM-L6-v2 --classifier /classifier >/dev/null
port=$(podman port "$container" 8080/tcp | sed -n '1s/.*://p')
url=http://127.0.0.1:$port
deadline=$((SECONDS + 120))
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/health/ready" || true)" = 200 ]; do
  [ "$(podman inspect -f '{{.State.Running}}' "$container")" = true ] || fail "the container stopped before it was ready."
  [ "$SECONDS" -lt "$deadline" ] || fail "GET /health/ready did not answer 200 within 120 s."
  sleep 0.5
done
for path in /health /health/live; do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url$path")" = 200 ] || fail "GET $path did not answer 200 once ready."
done
step "container ready (/health/ready, /health/live and /health 200)"

uid=$(podman exec "$container" id -u)
[ "$uid" != 0 ] || fail "the server runs as root."
# Every path the server's user may write, /proc, /sys, /dev (device nodes, /dev/shm) and /tmp left out: none expected.
writable=$(podman exec "$container" find / \( -path /proc -o -path /sys -o -path /dev -o -path /tmp \) -prune \
  -o -writable -print 2>/dev/null || true)
[ -z "$writable" ] || fail "writable for uid $uid besides /tmp: $(head -n 5 <<<"$writable" | tr '\n' ' ')"
podman exec "$container" sh -c 'touch /tmp/.check && rm /tmp/.check' || fail "/tmp is not writable."
timeout 300 dotnet "$check_dll" compare "$url" "$work/classifier" || fail "the served results differ from in-process results."
step "checks (user, writable paths, API)"

size=$(podman image inspect -f '{{.Size}}' "$image")
app=$(podman exec "$container" du -sm /app | cut -f1)
# The server's peak resident memory (it is pid 1 in the container) after the checks: what the Kubernetes limit must hold.
peak_rss=$(podman exec "$container" sed -n 's/^VmHWM:[[:space:]]*//p' /proc/1/status)
base=$(podman image inspect -f '{{.Size}}' "$runtime_image")
echo "PASSED: uid $uid, read-only root, /tmp the only writable path; /v1/embeddings and /classify equal in-process results."
echo "  image $((size / 1000000)) MB ($((size / 1048576)) MiB): runtime base $((base / 1000000)) MB, /app $app MiB"
echo "  server peak RSS $peak_rss (all-MiniLM-L6-v2 and the classifier loaded, after the checks)"
echo "  total $(( $(date +%s) - started )) s"
