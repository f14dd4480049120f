"""Write the data files the examples read into ``examples/data/`` (or the folder given).

- ``digits_mnist_format.csv``: scikit-learn's 8x8 digits in the common MNIST CSV export:
  no header row, the label in the first column, then the pixels as 0..255.
- ``admissions.csv``: a synthetic table with the graduate-admissions data's columns
  (``admit``, ``gre``, ``gpa``, ``rank``); the real file is not shipped.

Usage: ``python examples/make_data.py [FOLDER]``
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits


def digits_mnist_format(path):
    digits = load_digits()
    pixels = np.round(digits.data * 255 / 16).astype(int)  # 0..16 -> 0..255
    pd.DataFrame(np.column_stack([digits.target, pixels])).to_csv(path, index=False,
                                                                  header=False)


def admissions(path, n=400, seed=7):
    rng = np.random.default_rng(seed)
    gre = rng.normal(590, 115, n).clip(200, 800).round(-1)
    gpa = rng.normal(3.4, 0.38, n).clip(2.2, 4.0).round(2)
    rank = rng.integers(1, 5, n)
    logit = -3.5 + 0.003 * gre + 0.8 * gpa - 0.6 * rank
    admit = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    pd.DataFrame({"admit": admit, "gre": gre, "gpa": gpa, "rank": rank}).to_csv(path,
                                                                                index=False)


def main(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    digits_mnist_format(folder / "digits_mnist_format.csv")
    admissions(folder / "admissions.csv")
    print(f"wrote {folder / 'digits_mnist_format.csv'} and {folder / 'admissions.csv'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent / "data")
