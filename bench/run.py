"""`make bench`: every side-by-side benchmark of the project, printed as Markdown tables."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import csv_load  # noqa: E402
import data_load  # noqa: E402
import engine_floor  # noqa: E402
import explain_speed  # noqa: E402
import gridsearch_speed  # noqa: E402
import load_speed  # noqa: E402
import mnist_speed  # noqa: E402
import nncore_speed  # noqa: E402
import plan_million  # noqa: E402
import report_rebuild  # noqa: E402
import sweep_scale  # noqa: E402
import sweep_vs_sklearn  # noqa: E402
import sweeps_speed  # noqa: E402
import validation_cost  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    print("## nncore training speed\n")
    print(nncore_speed.main(epochs=args.epochs, seeds=args.seeds))
    print("\n## What validation data and early stopping cost\n")
    print(validation_cost.main(epochs=args.epochs, seeds=args.seeds))
    print("\n## Loading an MNIST-sized CSV\n")
    print(csv_load.main())
    print("\n## sweeps run on that CSV: the data loaded once per sweep (issue 22)\n")
    print(data_load.main())
    print("\n## GridSearchCV with scikit-learn's MLPClassifier and with nncore's\n")
    print(gridsearch_speed.main())
    print("\n## sweeps end to end (CLI)\n")
    print(sweeps_speed.main())
    print("\n## Rebuilding a report (figures cached by their data)\n")
    print(report_rebuild.main())
    print("\n## The sine preset end to end against scikit-learn + joblib (issue 12)\n")
    print(sweep_vs_sklearn.engine_table())
    print()
    print(sweep_vs_sklearn.main())
    print("\n## The engine against its bit-exact floor (issue 12)\n")
    print(engine_floor.main())
    print("\n## The material's MNIST nets, mini-batch training (issue 22)\n")
    print(mnist_speed.main())
    print("\n## A 20,000-job sweep: driver memory and the cached rerun (issue 12)\n")
    print(sweep_scale.main())
    print("\n## Explaining a 5,000-job sweep: which axes matter (issue 21)\n")
    print(explain_speed.main())
    print("\n## Planning the cap: 1,000,000 jobs before the first trains (issue 23)\n")
    print(plan_million.main())
    print("\n## Reading a 21,600-job sweep back: sweeps.load and status (issue 23)\n")
    print(load_speed.main())


if __name__ == "__main__":
    main()
