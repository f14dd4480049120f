"""What a run records of its software is the same in every process."""
import json
import os
import subprocess
import sys

_VERSIONS = """
import json
import numpy, scipy.linalg  # both OpenBLAS libraries loaded, as in a sweep's driver
from sweeps.repro import package_versions
print(json.dumps(package_versions()))
"""


def _versions(hash_seed):
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run([sys.executable, "-c", _VERSIONS], capture_output=True, text=True,
                          check=True, timeout=120, env=env)
    return json.loads(done.stdout)


def test_the_blas_libraries_are_named_the_same_in_every_process():
    # threadpoolctl finds the libraries through a set of paths, so numpy's and scipy's
    # OpenBLAS came in either order from one process to the next (string hashing is
    # seeded per process): a cached rerun of a sweep looked like a run with new software
    # and its report was rebuilt every other time.
    from threadpoolctl import threadpool_info

    seen = [_versions(seed) for seed in range(6)]
    assert all(versions == seen[0] for versions in seen), [v["blas"] for v in seen]
    import numpy, scipy.linalg  # noqa: E401, F401
    for p in threadpool_info():  # every BLAS library, with its version, is named
        if p["user_api"] == "blas":
            assert f"{p['internal_api']} {p['version']}" in seen[0]["blas"]
