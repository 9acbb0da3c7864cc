#!/usr/bin/env bash
# Fetches bodies of real, clean Chinese text for the differential and negative tests, from Debian
# packages (used only as test input, never committed):
# - .cache/corpus/zh_CN.txt, zh_TW.txt: the Simplified and Traditional manual pages of
#   `manpages-zh` (about 6 MB each, GPL/FDL documentation);
# - .cache/corpus/more-zh_CN.txt, more-zh_TW.txt: text translated by people in each script, about
#   4-5 MB each: LibreOffice's help pages and user-interface catalogs (`libreoffice-help-zh-cn/-tw`,
#   `libreoffice-l10n-zh-cn/-tw`, MPL-2.0), Firefox ESR's and Thunderbird's language packs
#   (`firefox-esr-l10n-zh-cn/-tw`, `thunderbird-l10n-zh-cn/-tw`, MPL-2.0), the Debian Reference and the New Maintainers' Guide
#   (`debian-reference-zh-cn/-tw`, `maint-guide-zh-cn/-tw`, GPL). The Traditional ones are
#   Taiwan translations written by hand, with the mixed variants real text has (爲 beside 為).
# Needs apt-get, dpkg-deb and python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/.cache/corpus"
have() { [ -s "$dest/zh_CN.txt" ] && [ -s "$dest/zh_TW.txt" ] && [ -s "$dest/more-zh_CN.txt" ] && [ -s "$dest/more-zh_TW.txt" ]; }
if have; then
  echo "corpus already in $dest"
  exit 0
fi
mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Downloads the packages named, refreshing the package lists once if that fails.
download() {
  if ! apt-get download "$@" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get download "$@" >/dev/null 2>&1
  fi
}
if [ ! -s "$dest/zh_CN.txt" ] || [ ! -s "$dest/zh_TW.txt" ]; then
  download manpages-zh
  dpkg-deb -x manpages-zh_*.deb x
  for lang in zh_CN zh_TW; do
    find "x/usr/share/man/$lang" -name '*.gz' | LC_ALL=C sort | xargs zcat > "$dest/$lang.txt"
  done
fi
extract="$here/scripts/extract-text.py"
for lang in zh_CN zh_TW; do
  [ -s "$dest/more-$lang.txt" ] && continue
  low=$(echo "$lang" | tr 'A-Z_' 'a-z-')   # zh-cn
  dash=${lang/_/-}                          # zh-CN
  download "libreoffice-help-$low" "libreoffice-l10n-$low" "firefox-esr-l10n-$low" \
    "thunderbird-l10n-$low" "debian-reference-$low" "maint-guide-$low"
  rm -rf y && mkdir y
  for deb in libreoffice-help-"$low"_*.deb libreoffice-l10n-"$low"_*.deb firefox-esr-l10n-"$low"_*.deb \
    thunderbird-l10n-"$low"_*.deb debian-reference-"$low"_*.deb maint-guide-"$low"_*.deb; do
    dpkg-deb -x "$deb" y
  done
  {
    python3 "$extract" html "y/usr/share/libreoffice/help/$dash" .html
    python3 "$extract" mo "y/usr/lib/libreoffice/program/resource/$lang"
    find y -name "langpack-$dash@*.xpi" | LC_ALL=C sort | while read -r xpi; do
      python3 "$extract" xpi "$xpi"
    done
    python3 "$extract" html y/usr/share ".$low.html"
  } > "$dest/more-$lang.tmp"
  mv "$dest/more-$lang.tmp" "$dest/more-$lang.txt"
done
ls -l "$dest"
