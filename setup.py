"""Install dfertools: ``pip install -e .`` (install PyTorch first)."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    ns: dict = {}
    with open(osp.join(HERE, 'dfertools', 'version.py')) as f:
        exec(f.read(), ns)  # our own file, not user input
    return ns['__version__']


def read_requirements(name: str) -> list:
    reqs = []
    with open(osp.join(HERE, 'requirements', name)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


setup(
    name='dfertools',
    version=read_version(),
    description='Dynamic facial expression recognition toolkit on '
    'MMEngine/MMAction2: masked video pretraining, fine-tuning, UAR/WAR.',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'examples*')),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(
        tests=read_requirements('tests.txt'),
        optional=read_requirements('optional.txt'),
        torch=['torch>=2.1'],
    ),
    license='Apache-2.0',
)
