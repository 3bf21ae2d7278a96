#!/usr/bin/env python3
"""Resolve a package.json merge conflict: union of both sides (ours wins on scalars)."""
import json, subprocess, sys
def stage(n):
    return json.loads(subprocess.check_output(['git','show',f':{n}:package.json']))
ours, theirs = stage(2), stage(3)
def union(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = union(a[k], v) if k in a else v
        return out
    return a
m = union(ours, theirs)
ex = m['exports']
keys = ['.'] + sorted(k for k in ex if k not in ('.', './package.json')) + ['./package.json']
m['exports'] = {k: ex[k] for k in keys if k in ex}
for sect in ('peerDependencies', 'peerDependenciesMeta', 'devDependencies', 'dependencies'):
    if sect in m: m[sect] = dict(sorted(m[sect].items())) if sect == 'devDependencies' else m[sect]
open('package.json', 'w').write(json.dumps(m, indent=2, ensure_ascii=False) + '\n')
subprocess.check_call(['git', 'add', 'package.json'])
print('package.json merged:', ', '.join(m['exports']))
