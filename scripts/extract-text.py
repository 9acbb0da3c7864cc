#!/usr/bin/env python3
"""Prints the Chinese text of documentation and translation files, one paragraph or message
per line, only lines holding a Han character, each file's lines once, files in sorted order.

Usage:
  scripts/extract-text.py html DIR SUFFIX   HTML pages under DIR whose name ends with SUFFIX:
                                            the text of each block element (p, h1-h6, li, td,
                                            pre, ...), script and style left out
  scripts/extract-text.py mo DIR            gettext catalogs (*.mo) under DIR: the translations
  scripts/extract-text.py xpi FILE          a Firefox language pack: the values of its .ftl,
                                            .properties and .dtd strings
"""
import gettext
import html
import html.parser
import os
import re
import sys
import zipfile

BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd", "pre", "div", "br", "tr"}
HAN = re.compile(r"[\u3400-\u9fff]")


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.cur, self.skip = [], [], 0

    def flush(self):
        line = " ".join("".join(self.cur).split())
        if line:
            self.parts.append(line)
        self.cur = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in BLOCKS:
            self.flush()

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.cur.append(data)


def files_under(root, suffix):
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(suffix))


def html_lines(root, suffix):
    for path in files_under(root, suffix):
        p = Text()
        with open(path, encoding="utf-8") as f:
            p.feed(f.read())
        p.close()
        p.flush()
        yield p.parts


def mo_lines(root):
    for path in files_under(root, ".mo"):
        with open(path, "rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
        yield [" ".join(v.split()) for k, v in sorted(catalog.items(), key=lambda kv: str(kv[0]))
               if k and isinstance(v, str)]


KEY = re.compile(r"^\s*[\w.-]+\s*=\s*")
DTD = re.compile(r'<!ENTITY\s+\S+\s+"(.*)"\s*>')
UESC = re.compile(r"\\u([0-9a-fA-F]{4})")


def xpi_lines(path):
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if not name.endswith((".ftl", ".properties", ".dtd")):
                continue
            # Values as the application reads them: a DTD's entity references and a
            # .properties file's \uXXXX escapes decoded.
            out = []
            for line in z.read(name).decode("utf-8").splitlines():
                m = DTD.search(line)
                if m:
                    out.append(html.unescape(m.group(1)))
                elif KEY.match(line):
                    value = KEY.sub("", line, count=1)
                    if name.endswith(".properties"):
                        value = UESC.sub(lambda u: chr(int(u.group(1), 16)), value)
                    out.append(value)
            yield out


def main():
    mode = sys.argv[1]
    if mode == "html":
        groups = html_lines(sys.argv[2], sys.argv[3])
    elif mode == "mo":
        groups = mo_lines(sys.argv[2])
    elif mode == "xpi":
        groups = xpi_lines(sys.argv[2])
    else:
        sys.exit(__doc__)
    for lines in groups:
        seen = set()
        for line in lines:
            line = line.strip()
            if HAN.search(line) and line not in seen:
                seen.add(line)
                sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
