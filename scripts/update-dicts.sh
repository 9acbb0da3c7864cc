#!/usr/bin/env bash
# Regenerates dict/opencc/ from the OpenCC 1.4.2 PyPI wheel: the binary .ocd2 dictionaries are
# exported to OpenCC's text format with the wheel's own `opencc_dict`, and the JSON configs and
# licence files are copied as they are. The data is Apache-2.0 (see dict/opencc/LICENSE).
#
# Usage: scripts/update-dicts.sh [VERSION]   (default 1.4.2; needs python3 + pip)
set -euo pipefail
version=${1:-1.4.2}
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/dict/opencc"
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "opencc==$version"
pkg=$("$venv/bin/python" -c 'import opencc, os; print(os.path.dirname(opencc.__file__))')
share="$pkg/clib/share/opencc"
tool="$pkg/clib/bin/opencc_dict"
mkdir -p "$dest/configs"
rm -f "$dest"/*.txt "$dest"/configs/*.json
for ocd in "$share"/*.ocd2; do
  name=$(basename "$ocd" .ocd2)
  "$tool" -i "$ocd" -o "$dest/$name.txt" -f ocd2 -t text
done
cp "$share"/*.json "$dest/configs/"
lic=$(ls -d "$pkg"-*.dist-info 2>/dev/null || ls -d "$(dirname "$pkg")"/opencc-"$version".dist-info)
cp "$lic/licenses/LICENSE" "$dest/LICENSE"
cp "$lic/licenses/AUTHORS" "$dest/AUTHORS"
echo "$version" > "$dest/VERSION"
echo "dictionaries of OpenCC $version written to $dest"
