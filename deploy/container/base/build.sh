#!/usr/bin/env bash
# Builds local stand-ins for Microsoft's .NET 10 images, for machines that cannot reach mcr.microsoft.com:
#   localhost/sentencemtl-check/debian:bookworm  Debian 12 minbase + what the official runtime-deps image carries
#   localhost/sentencemtl-check/aspnet:VERSION   + the host's .NET runtime and ASP.NET Core shared framework, user app (1654)
#   localhost/sentencemtl-check/sdk:VERSION      + the host's whole .NET installation (SDK, packs)
# VERSION is the host's: the images are rebuilt when the host's .NET changes, and an image that already exists is kept
# (deploy/container/check.sh removes them with --remove-bases). Every image carries the label io.sentencemtl.check=base.
# Prints two lines for the caller: "SDK_IMAGE=..." and "RUNTIME_IMAGE=...". Needs root, podman, runc and mmdebstrap.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
label=io.sentencemtl.check=base

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
sdk_version=$(dotnet --version)
# The newest 10.x runtime and ASP.NET Core framework installed beside the SDK.
newest() { ls "$dotnet_root/shared/$1" 2>/dev/null | grep '^10\.' | sort -V | tail -n 1 || true; }
netcore_version=$(newest Microsoft.NETCore.App)
aspnet_version=$(newest Microsoft.AspNetCore.App)
if [ -z "$netcore_version" ] || [ -z "$aspnet_version" ]; then
  echo "No .NET 10 runtime or ASP.NET Core 10 framework under $dotnet_root/shared: install the .NET 10 SDK." >&2
  exit 2
fi

debian_image=localhost/sentencemtl-check/debian:bookworm
runtime_image=localhost/sentencemtl-check/aspnet:$aspnet_version
sdk_image=localhost/sentencemtl-check/sdk:$sdk_version
exists() { podman image exists "$1"; }

if ! exists "$debian_image"; then
  scratch=$(mktemp -d "${TMPDIR:-/var/tmp}/sentencemtl-base.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  # minbase (essential packages and apt) plus the official runtime-deps packages; documentation, manual pages and
  # translations left out as in Debian's slim images (the copyright files stay).
  timeout 900 nice mmdebstrap --variant=minbase --quiet \
    --include=ca-certificates,libicu72,libssl3,tzdata,zlib1g \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$scratch/debian.tar" >&2
  podman import --quiet --change "LABEL $label" "$scratch/debian.tar" "$debian_image" >/dev/null
  rm -rf "$scratch"
  trap - EXIT
fi

# Both contexts are the host's .NET root; --layers=false leaves no intermediate images behind.
build() {
  local file=$1 tag=$2
  shift 2
  timeout 900 nice podman build --runtime runc --layers=false --pull=never --quiet --label "$label" \
    -f "$here/$file" --build-arg "DEBIAN_IMAGE=$debian_image" "$@" -t "$tag" "$dotnet_root" >/dev/null
}
exists "$runtime_image" || build aspnet.Containerfile "$runtime_image" \
  --build-arg "NETCORE_VERSION=$netcore_version" --build-arg "ASPNETCORE_VERSION=$aspnet_version"
exists "$sdk_image" || build sdk.Containerfile "$sdk_image"

echo "SDK_IMAGE=$sdk_image"
echo "RUNTIME_IMAGE=$runtime_image"
