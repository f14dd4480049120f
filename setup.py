"""Build nncore's compiled loops (``nncore/_kernels.pyx``); everything else is in pyproject.toml.

``-ffp-contract=off``: no fused multiply-add, so each operation is rounded as in numpy
(see the module's docstring); set explicitly because a ``-march`` in CFLAGS would
otherwise let the compiler fuse.
"""
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension("nncore._kernels", ["nncore/_kernels.pyx"],
               extra_compile_args=["-O3", "-ffp-contract=off", "-fno-fast-math"])],
))
