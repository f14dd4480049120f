"""What each trained tiny network of a sweep computes, on the terminal: what each truth
table or logistic unit learnt, then per data row each seed's output, and the trained
weights and biases (the tables of the report's tiny-nets section, ``results.tiny_nets``).
For a truth table or a single unit these numbers are the result (``make demo`` prints the
material's NOT this way).

    python examples/learnt.py runs/not
"""
import sys

import sweeps
from results.tiny_nets import learnt_lines, tiny_net_tables


def describe(out) -> list:
    """The lines that say what the tiny nets of the sweep in ``out`` learnt."""
    df = sweeps.load(out, curves=False)
    lines = list(learnt_lines(df))
    for title, _, table in tiny_net_tables(df):
        lines += ["", title, table.to_string(index=False)]
    return lines


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/learnt.py OUTPUT_DIR (e.g. runs/not)")
    print("\n".join(describe(sys.argv[1])))
