#!/usr/bin/env python3
"""Check the search lexicon of tongban against a service catalog.

Usage: python3 check_lexicon.py CATALOG.csv [SYNONYMS.tsv]

SYNONYMS.tsv defaults to synonyms.tsv next to this script.  The check fails
(exit status 1) when any official term does not occur as a substring of at
least one item name of the catalog, or when the file breaks its format:
header `colloquial<TAB>official`, one entry per line, a colloquial key of
2-8 characters, no duplicate keys, official terms separated by `;`.
stopwords.txt and userdict.txt next to the synonyms file are checked for
format as well (UTF-8 without BOM, one entry per line, `word freq tag`).
"""
import csv
import os
import sys


def fail(errors, msg):
    errors.append(msg)


def read_utf8(path, errors):
    raw = open(path, 'rb').read()
    if raw.startswith(b'\xef\xbb\xbf'):
        fail(errors, f'{path}: starts with a UTF-8 BOM')
        raw = raw[3:]
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as e:
        fail(errors, f'{path}: not UTF-8 ({e})')
        return raw.decode('utf-8', 'replace')


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    catalog = argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    syn_path = argv[2] if len(argv) > 2 else os.path.join(here, 'synonyms.tsv')
    base = os.path.dirname(os.path.abspath(syn_path))
    errors = []

    with open(catalog, encoding='utf-8-sig', newline='') as f:
        names = [row['name'] for row in csv.DictReader(f)]
    if not names:
        print(f'FAIL: no items read from {catalog}')
        return 1

    lines = read_utf8(syn_path, errors).split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if not lines or lines[0] != 'colloquial\tofficial':
        fail(errors, f'{syn_path}: first line must be "colloquial<TAB>official"')
    seen = {}
    terms_total = 0
    missing = {}
    for no, line in enumerate(lines[1:], start=2):
        parts = line.split('\t')
        if len(parts) != 2:
            fail(errors, f'{syn_path}:{no}: expected exactly one TAB: {line!r}')
            continue
        key, official = parts
        if key != key.strip() or not (2 <= len(key) <= 8):
            fail(errors, f'{syn_path}:{no}: key {key!r} must be 2-8 characters without surrounding spaces')
        if key in seen:
            fail(errors, f'{syn_path}:{no}: duplicate key {key!r} (first on line {seen[key]})')
        seen[key] = no
        terms = official.split(';')
        if any(t == '' or t != t.strip() for t in terms):
            fail(errors, f'{syn_path}:{no}: empty or padded official term in {official!r}')
        for t in terms:
            terms_total += 1
            if t and not any(t in n for n in names):
                missing.setdefault(t, []).append(key)
    for t, keys in sorted(missing.items()):
        fail(errors, f'official term {t!r} (keys: {", ".join(keys)}) is in no item name of {catalog}')

    stop_path = os.path.join(base, 'stopwords.txt')
    n_stop = 0
    if os.path.exists(stop_path):
        words = [w for w in read_utf8(stop_path, errors).split('\n') if w != '']
        n_stop = len(words)
        for w in words:
            if w != w.strip() or ' ' in w or '\t' in w:
                fail(errors, f'{stop_path}: bad entry {w!r}')
        dup = {w for w in words if words.count(w) > 1}
        if dup:
            fail(errors, f'{stop_path}: duplicates {sorted(dup)}')
        clash = sorted(set(words) & set(seen))
        if clash:
            fail(errors, f'{stop_path}: also lexicon keys: {clash}')

    dict_path = os.path.join(base, 'userdict.txt')
    n_dict = 0
    if os.path.exists(dict_path):
        entries = [l for l in read_utf8(dict_path, errors).split('\n') if l != '']
        n_dict = len(entries)
        words = []
        for no, l in enumerate(entries, start=1):
            p = l.split(' ')
            if len(p) != 3 or not p[1].isdigit() or not p[2].isalpha():
                fail(errors, f'{dict_path}:{no}: expected "word freq tag": {l!r}')
            words.append(p[0])
        dup = {w for w in words if words.count(w) > 1}
        if dup:
            fail(errors, f'{dict_path}: duplicates {sorted(dup)}')

    if errors:
        for e in errors:
            print('FAIL:', e)
        print(f'{len(errors)} problem(s)')
        return 1
    print(f'OK: {len(seen)} synonym entries, {terms_total} official terms, all found in the '
          f'{len(names)} item names of {catalog}; {n_stop} stopwords; {n_dict} userdict entries')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
