"""Installs sgclient from the tree the CMake build assembles (build/clients/python), which holds
the generated stubs too:

    pip install --no-index --no-build-isolation build/clients/python

Its dependencies are Debian's python3-grpcio, python3-protobuf and python3-pandas (install them
with apt; in a virtual environment, create it with --system-site-packages). See docs/python.md.
"""

import re
from pathlib import Path

from setuptools import setup

# sgclient/_version.py: written by the build from common/version.h.
VERSION = re.search(r'__version__ = "([^"]+)"',
                    (Path(__file__).parent / "sgclient" / "_version.py").read_text()).group(1)

setup(
    name="sgclient",
    version=VERSION,
    description="Python client of the sg coordinator: sweeps, runs and curves as pandas DataFrames",
    packages=["sgclient", "sgclient._proto", "sgclient._proto.sg", "sgclient._proto.sg.v1"],
    python_requires=">=3.9",
    install_requires=["grpcio>=1.51", "protobuf>=3.21", "pandas>=1.3"],
)
