"""Optimizer updates worked by hand where scikit-learn has no counterpart (Adagrad)."""
import math

import numpy as np
import pytest

from nncore import MLP


def test_adagrad_two_steps_by_hand():
    # A [1, 1] network with identity output is p = w * x + b; with mse
    # L = 1 / (2 n) * sum (p_i - y_i)**2, so dL/dw = mean(e_i * x_i) and dL/db = mean(e_i),
    # e_i = p_i - y_i. Adagrad: G += g**2; w -= lr * g / (sqrt(G) + eps).
    lr, eps = 0.1, 1e-8  # eps is Adagrad's documented default
    x, y = np.array([1.0, 3.0]), np.array([2.0, 5.0])
    net = MLP.from_arrays([np.array([[2.0]])], [np.array([0.5])], activation="tanh",
                          output="identity", loss="mse")

    # Step 1 at w = 2, b = 0.5: predictions 2.5, 6.5; errors 0.5, 1.5.
    loss0 = (0.5**2 + 1.5**2) / 4  # 0.625
    gw1, gb1 = (0.5 * 1 + 1.5 * 3) / 2, (0.5 + 1.5) / 2  # 2.5, 1.0
    Gw, Gb = gw1**2, gb1**2  # 6.25, 1.0
    # The first step moves each parameter by lr * sign(g), short of it only by eps:
    w1 = 2.0 - lr * gw1 / (math.sqrt(Gw) + eps)  # 1.9 + 4e-10
    b1 = 0.5 - lr * gb1 / (math.sqrt(Gb) + eps)  # 0.4 + 1e-9

    # Step 2 at (w1, b1): errors w1 + b1 - 2 and 3 w1 + b1 - 5, about 0.3 and 1.1.
    e1, e2 = w1 * 1 + b1 - 2.0, w1 * 3 + b1 - 5.0
    loss1 = (e1**2 + e2**2) / 4  # about 0.325
    gw2, gb2 = (e1 * 1 + e2 * 3) / 2, (e1 + e2) / 2  # about 1.8, 0.7
    Gw, Gb = Gw + gw2**2, Gb + gb2**2  # about 9.49, 1.49: the step shrinks as G grows
    w2 = w1 - lr * gw2 / (math.sqrt(Gw) + eps)  # about 1.9 - 0.18 / 3.0806 = 1.84157
    b2 = b1 - lr * gb2 / (math.sqrt(Gb) + eps)  # about 0.4 - 0.07 / 1.22066 = 0.34265

    history = net.fit(x.reshape(-1, 1), y, epochs=2, optimizer="adagrad", lr=lr)
    # rtol 1e-12 resolves eps's 2e-10 effect on the first step.
    np.testing.assert_allclose(history, [loss0, loss1], rtol=1e-12)
    assert net.weights[0][0, 0] == pytest.approx(w2, rel=1e-12)
    assert net.biases[0][0] == pytest.approx(b2, rel=1e-12)
    assert (w2, b2) == pytest.approx((1.84157, 0.34265), abs=1e-5)  # the decimals above
