#!/usr/bin/env python3
"""Converts Go fuzz corpus files (`go test fuzz v1` + one `[]byte("...")` line) to raw input files for libFuzzer.

Usage: gocorpus.py SRC_DIR DEST_DIR. The Go string literal is decoded as Go's strconv.Unquote does: \\a \\b \\f \\n
\\r \\t \\v \\\\ \\' \\" \\xHH \\ooo \\uXXXX \\UXXXXXXXX escapes, every other character as its UTF-8 bytes."""
import os
import sys

SIMPLE = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34}


def unquote(lit: str) -> bytes:
    if not (lit.startswith('"') and lit.endswith('"')):
        raise ValueError("not a double-quoted Go string")
    s, out, i = lit[1:-1], bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e in SIMPLE:
            out.append(SIMPLE[e]); i += 2
        elif e == "x":
            out.append(int(s[i + 2:i + 4], 16)); i += 4
        elif e in "01234567":
            out.append(int(s[i + 1:i + 4], 8)); i += 4
        elif e == "u":
            out += chr(int(s[i + 2:i + 6], 16)).encode("utf-8"); i += 6
        elif e == "U":
            out += chr(int(s[i + 2:i + 10], 16)).encode("utf-8"); i += 10
        else:
            raise ValueError(f"unknown escape \\{e}")
    return bytes(out)


def main() -> None:
    src, dest = sys.argv[1], sys.argv[2]
    os.makedirs(dest, exist_ok=True)
    n = 0
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name), encoding="utf-8") as f:
            lines = f.read().splitlines()
        if not lines or lines[0] != "go test fuzz v1":
            continue
        for line in lines[1:]:
            line = line.strip()
            if line.startswith("[]byte(") and line.endswith(")"):
                with open(os.path.join(dest, "go-" + name), "wb") as out:
                    out.write(unquote(line[len("[]byte("):-1]))
                n += 1
    print(f"{n} Go corpus inputs from {src}")


if __name__ == "__main__":
    main()
