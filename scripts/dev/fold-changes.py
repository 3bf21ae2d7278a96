#!/usr/bin/env python3
"""Fold a branch's changes/<branch>.md CHANGELOG bullets into an area file (changes/<area>.md), under the same
### Added / ### Changed / ### Fixed headings, and keep the rest of the branch file below as notes.
Usage: scripts/dev/fold-changes.py changes/<branch>.md changes/<area>.md"""
import re, sys

def sections(text):
    i = text.find('## CHANGELOG')
    if i < 0:
        return {}, text, ''
    start = text.index('\n', i) + 1
    j = text.find('\n## ', start)
    body = text[start:j if j >= 0 else len(text)]
    out, cur = {}, None
    for line in body.split('\n'):
        m = re.match(r'^### (\w+)', line)
        if m:
            cur = m.group(1)
            out.setdefault(cur, [])
        elif cur is not None:
            out[cur].append(line)
    return out, text[:start], text[j if j >= 0 else len(text):]

src, dst = sys.argv[1], sys.argv[2]
add, _, src_rest = sections(open(src).read())
text = open(dst).read()
have, head, rest = sections(text)
for kind, lines in add.items():
    have.setdefault(kind, [])
    have[kind] = [l for l in have[kind]]
    while have[kind] and have[kind][-1].strip() == '':
        have[kind].pop()
    have[kind] += [l for l in lines if l.strip() != ''] + ['']
order = [k for k in ('Added', 'Changed', 'Fixed', 'Removed') if k in have] + [k for k in have if k not in ('Added', 'Changed', 'Fixed', 'Removed')]
body = '\n'.join(f'### {k}\n' + '\n'.join(have[k]).rstrip() + '\n' for k in order)
open(dst, 'w').write(head + '\n' + body + rest)
print(f'folded {src} into {dst}: ' + ', '.join(f'{k} +{len([l for l in v if l.startswith("- ")])}' for k, v in add.items()))
