#!/usr/bin/env bash
# Vendors the console's third-party browser files from the npm registry, without
# Node: for each pinned package it reads https://registry.npmjs.org/NAME/VERSION,
# downloads the tarball named there, checks it against dist.integrity (sha512),
# and copies the one minified file the console needs and the package's licence
# into internal/console/static/vendor/, recording name, version, licence,
# integrity and tarball URL in vendor.json. The result is committed: builds and
# tests never need the network. Run again after changing a pin below.
#
# Needs curl, jq, openssl, tar. Usage: deploy/dev/vendor-web.sh
set -euo pipefail

# name version file-in-package licence-file-in-package
pins=(
  "htmx.org 2.0.11 dist/htmx.min.js LICENSE"
  "echarts 6.1.0 dist/echarts.min.js LICENSE"
)

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/internal/console/static/vendor"
registry="${NPM_REGISTRY:-https://registry.npmjs.org}"
for tool in curl jq openssl tar; do
  command -v "$tool" >/dev/null || { echo "vendor-web: $tool is needed" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
entries=()
for pin in "${pins[@]}"; do
  read -r name version file licfile <<<"$pin"
  meta="$work/$name.json"
  curl -fsSL --retry 3 "$registry/$name/$version" -o "$meta"
  tarball="$(jq -r '.dist.tarball' "$meta")"
  integrity="$(jq -r '.dist.integrity' "$meta")"
  licence="$(jq -r '.license' "$meta")"
  case "$integrity" in
    sha512-*) ;;
    *) echo "vendor-web: $name@$version has no sha512 integrity ($integrity)" >&2; exit 1 ;;
  esac
  tgz="$work/$name-$version.tgz"
  curl -fsSL --retry 3 "$tarball" -o "$tgz"
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "vendor-web: $name@$version integrity mismatch: registry $integrity, downloaded $got" >&2
    exit 1
  fi
  mkdir -p "$work/x-$name"
  tar -xzf "$tgz" -C "$work/x-$name" "package/$file" "package/$licfile"
  dest="$out/$name"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$work/x-$name/package/$file" "$dest/$(basename "$file")"
  cp "$work/x-$name/package/$licfile" "$dest/LICENSE"
  sha="$(sha256sum "$dest/$(basename "$file")" | cut -d' ' -f1)"
  entries+=("$(jq -n --arg name "$name" --arg version "$version" --arg license "$licence" \
    --arg integrity "$integrity" --arg tarball "$tarball" --arg file "$name/$(basename "$file")" \
    --arg from "package/$file" --arg sha256 "$sha" \
    '{name:$name, version:$version, license:$license, integrity:$integrity, tarball:$tarball, file:$file, from:$from, sha256:$sha256}')")
  echo "vendored $name@$version ($licence) -> internal/console/static/vendor/$name/$(basename "$file")"
done
printf '%s\n' "${entries[@]}" | jq -s '{comment: "written by deploy/dev/vendor-web.sh; do not edit", packages: .}' >"$out/vendor.json"
