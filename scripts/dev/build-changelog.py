#!/usr/bin/env python3
"""Rebuild CHANGELOG.md's Unreleased section from the core lines plus changes/*.md CHANGELOG sections."""
import re, os
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
log = open('CHANGELOG.md').read()
head, rest = log.split('## Unreleased', 1)
# keep the original core block (up to the next '## ' release heading or end)
m = re.search(r'\n## (?!#)', rest)
unreleased, tail = (rest[:m.start()], rest[m.start():]) if m else (rest, '')
if '<!-- areas -->' in unreleased:
    unreleased = unreleased.split('<!-- areas -->')[0]
order = [('tiers', 'Layered caching across processes'), ('stores', 'SQLite tier, store interface, contract suite'),
         ('redis', 'Redis and Memcached tiers'), ('tinylfu', 'Memory tier: W-TinyLFU'), ('strategies', 'Caching strategies'),
         ('http', 'HTTP caching'), ('proxy', 'Caching reverse proxy'), ('session', 'Sessions and rate limiting'),
         ('ops', 'Metrics, tracing, dashboard, CLI'), ('integrations', 'Integrations'),
         ('demo', 'Demo'), ('servers', 'Test servers')]
out = [unreleased.rstrip() + '\n\n<!-- areas -->\n']
for name, title in order:
    p = f'changes/{name}.md'
    if not os.path.exists(p):
        continue
    t = open(p).read()
    i = t.find('## CHANGELOG')
    if i < 0:
        continue
    i = t.index('\n', i) + 1
    j = t.find('\n## ', i)
    body = t[i:j if j >= 0 else len(t)].strip()
    body = re.sub(r'^### ', '#### ', body, flags=re.M)
    out.append(f'\n### {title}\n\n{body}\n')
open('CHANGELOG.md', 'w').write(head + '## Unreleased' + ''.join(out) + tail)
print('CHANGELOG rebuilt')
