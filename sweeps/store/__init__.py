"""The result store: one SQLite database per output directory (``OUT/sweep.db``).

``errors``  what can be wrong with a store file, and ``StoreError``, which says it
``codec``   how a job record is stored in a ``jobs`` row and read back
``db``      ``Store``: the tables, the transactions, creating and checking a store
"""
from sweeps.store.codec import pack_arrays, pack_result, unpack_arrays
from sweeps.store.db import SCHEMA_VERSION, Store
from sweeps.store.errors import (DB_NAME, StoreError, check_db_file, damaged, db_path,
                                 disk_full, no_results, read_only)

__all__ = ["DB_NAME", "SCHEMA_VERSION", "Store", "StoreError", "check_db_file", "damaged",
           "db_path", "disk_full", "no_results", "pack_arrays", "pack_result", "read_only",
           "unpack_arrays"]
