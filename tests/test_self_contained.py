"""The repository stands on its own: no tracked file under dfertools/,
configs/, tools/, docs/, tests/, examples/, requirements/ or the top-level
README.md, Makefile and setup.py points to a design document,
an issue number or a folder outside the repository. Design decisions are
cited as sections of docs/design.md, papers by title and equation
(docs/papers.md).

The patterns are assembled from pieces so that this file does not match
them itself."""
import os.path as osp
import re
import subprocess

import pytest

from tests.fixtures.paths import REPO_ROOT as ROOT

SCANNED = ('dfertools', 'configs', 'tools', 'docs', 'tests', 'examples',
           'requirements', 'README.md', 'Makefile', 'setup.py')

_SEC = '\u00a7'  # the section sign
FORBIDDEN = {
    'external design section': re.compile('DESIGN' + r'\s*' + _SEC),
    # upper case only: docs/design.md is ours
    'external design file': re.compile('DESIGN' + r'\.md'),
    'issue number': re.compile(r'\b' + 'ISSUE' + r'\s*#?\s*\d+',
                               re.IGNORECASE),
    'path outside the repository': re.compile(r'\.\./' + 'shared'),
    'paper file not in the repository': re.compile(
        r'\b(?:mae_dfer|hi2m|adatosk|hdf)\.' + 'txt'),
}


def tracked_files():
    try:
        out = subprocess.run(
            ['git', 'ls-files', '-z', '--', *SCANNED], cwd=ROOT,
            capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f'not a git checkout ({exc}); nothing to scan')
    return [p for p in out.decode().split('\0') if p]


def violations(paths, root=ROOT):
    found = []
    for rel in paths:
        path = osp.join(root, rel)
        if not osp.isfile(path):  # deleted in the working tree
            continue
        with open(path, 'rb') as f:
            data = f.read()
        if b'\0' in data:  # binary (figures, fixtures)
            continue
        text = data.decode('utf-8', errors='replace')
        for lineno, line in enumerate(text.splitlines(), 1):
            for what, pattern in FORBIDDEN.items():
                if pattern.search(line):
                    found.append(f'{rel}:{lineno}: {what}: {line.strip()}')
    return found


def test_patterns_catch_what_they_must(tmp_path):
    bad = {
        'a.py': '# see ' + 'DESIGN ' + _SEC + '6\n',
        'b.md': 'read ' + 'DESIGN' + '.md first\n',
        'c.py': '"""Benchmarks (' + 'ISSUE' + ' 8)."""\n',
        'd.py': '(' + 'issue' + ' #9 item 1)\n',
        'e.md': 'papers in `' + '..' + '/shared/papers/`\n',
        'f.py': '# HDF (' + 'hdf' + '.txt ' + _SEC + '4)\n',
    }
    good = {
        'g.py': "# see docs/design.md, 'Masking ratio rounding'\n",
        'h.md': 'HDF eq. 13-15, the tissue 8 times\n',
    }
    for name, text in {**bad, **good}.items():
        (tmp_path / name).write_text(text)
    found = violations(sorted(bad) + sorted(good), root=str(tmp_path))
    assert sorted(f.split(':')[0] for f in found) == sorted(bad), found


def test_no_external_references():
    found = violations(tracked_files())
    assert not found, (
        'references to documents outside the repository (cite a section of '
        'docs/design.md, or a paper by title and equation; see '
        'docs/papers.md):\n' + '\n'.join(found))


def _headings(markdown):
    return [m.group(1).strip() for m in
            re.finditer(r'^#{1,6}\s+(.+)$', markdown, re.MULTILINE)]


def _anchor(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped,
    spaces to hyphens."""
    slug = re.sub(r'[^\w\- ]', '', heading.lower())
    return slug.replace(' ', '-')


def test_design_sections_cited_exist():
    """Every "docs/design.md, 'Title'" and every design.md#anchor in the
    scanned files names a section that exists."""
    with open(osp.join(ROOT, 'docs', 'design.md'), encoding='utf-8') as f:
        headings = _headings(f.read())
    titles = set(headings)
    anchors = {_anchor(h) for h in headings}
    cite = re.compile(r"design\.md,\s*(?:#\s*)?'([^']+)'"
                      r"(?:\s+and\s+(?:#\s*)?'([^']+)')?")
    link = re.compile(r'design\.md#([\w\-]+)')
    missing = []
    for rel in tracked_files():
        path = osp.join(ROOT, rel)
        if not osp.isfile(path) or rel.endswith('test_self_contained.py'):
            continue
        with open(path, 'rb') as f:
            data = f.read()
        if b'\0' in data:
            continue
        # join wrapped lines of comments and docstrings into one line
        text = re.sub(r'\s*\n\s*(?:#\s*)?', ' ',
                      data.decode('utf-8', errors='replace'))
        for m in cite.finditer(text):
            for title in filter(None, m.groups()):
                if ' '.join(title.split()) not in titles:
                    missing.append(f'{rel}: section {title!r}')
        for m in link.finditer(text):
            if m.group(1) not in anchors:
                missing.append(f'{rel}: anchor #{m.group(1)}')
    assert not missing, ('docs/design.md has no such section:\n'
                         + '\n'.join(missing))
