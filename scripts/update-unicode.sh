#!/usr/bin/env bash
# Refreshes data/unicode/EquivalentUnifiedIdeograph.txt (Kangxi radicals and CJK radicals
# supplement -> unified ideographs) from Debian's unicode-data package. Unicode licence: see
# data/unicode/LICENSE.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download unicode-data >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1; apt-get download unicode-data >/dev/null; }
dpkg-deb -x unicode-data_*.deb x
cp x/usr/share/unicode/EquivalentUnifiedIdeograph.txt "$here/data/unicode/"
echo "updated data/unicode/EquivalentUnifiedIdeograph.txt"
