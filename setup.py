"""The optional C extension solver._search: the solver's search, compiled.

pyproject.toml declares everything else. Where the extension can't be built
(no C compiler, or no Python headers: on Debian, build-essential and
python3-dev), the install goes on without it and the solver runs its pure
Python search, slower. CONNECT4_NO_EXTENSIONS=1 skips building it.

"""

import os

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build the extension, or say in one line what its absence costs."""

    def build_extension(self, ext):
        """Build ext; on failure, print why the install goes on and re-raise for setuptools."""
        try:
            super().build_extension(ext)
        except Exception:
            print(f"{ext.name} not built: the solver will search in pure Python, 50 to 100 times slower")
            raise


if os.environ.get("CONNECT4_NO_EXTENSIONS"):
    extensions = []
else:
    extensions = [Extension("solver._search", ["solver/_search.c"], optional=True)]

setup(ext_modules=extensions, cmdclass={"build_ext": OptionalBuildExt})
