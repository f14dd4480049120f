# Written with the code of main (before issue 20): a job whose worker died, stored as the
# driver stores it (sweeps.pools.lost.lost_group).
from sweeps.keys import job_key, config_id
from sweeps.store import Store
from sweeps.pools.lost import lost_group
from sweeps.spec import load_spec
import sys
out = sys.argv[1]
with Store.open(out, create=True) as store:
    planned = store.planned()
    cfg = dict(planned[0][1]); cfg["seed"] = 7
    rec = lost_group([cfg], "worker process died (killed by signal 9)")[0]
    rec["key"], rec["config_id"] = job_key(cfg), config_id(cfg)
    store.write_results([rec], store.last_run()["run_id"])
