"""Initial weights and biases: schemes in a table keyed by name, or arrays given explicitly.

A scheme is a plain function ``scheme(layers, rng, activation) -> (weights, biases)``
drawing float64 arrays layer by layer from the generator ``rng``; ``init_params`` looks it
up in ``INITS``, makes the generator from the seed and casts to the network's dtype.

* ``"normal"``: weights ~ N(0, 1/fan_in) (pre-activations of order one at any width),
  biases ~ N(0, 1), as in the material this project grew from. Per layer, weights
  ``standard_normal((fan_in, fan_out)) / sqrt(fan_in)`` then biases
  ``standard_normal(fan_out)``.
* ``"glorot"``: scikit-learn's MLP rule (``_init_coef`` in
  ``sklearn/neural_network/_multilayer_perceptron.py``): weights and biases both uniform
  in ``[-bound, bound)`` with ``bound = sqrt(6 / (fan_in + fan_out))``, or
  ``sqrt(2 / (fan_in + fan_out))`` in every layer when the *hidden* activation is the
  sigmoid (scikit-learn tests ``activation == "logistic"``; the output activation plays no
  part). Per layer, weights ``uniform(-bound, bound, (fan_in, fan_out))`` then biases
  ``uniform(-bound, bound, fan_out)``, scikit-learn's order of draws.
* explicit arrays: ``{"weights": [...], "biases": [...]}``, one array (or nested list)
  per layer, shapes checked against the layers.
"""
import numpy as np

from .activations import ALIASES


def _normal(layers, rng, activation):
    weights, biases = [], []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        weights.append(rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
        biases.append(rng.standard_normal(fan_out))
    return weights, biases


def glorot_bound(fan_in, fan_out, activation):
    """Half-width of the uniform ``"glorot"`` draws of a layer, as scikit-learn's MLP.

    Parameters
    ----------
    fan_in, fan_out : int
        The layer's input and output sizes.
    activation : str
        The network's *hidden* activation: the factor is 2 for the sigmoid (``"sigmoid"``
        or ``"logistic"``), 6 for every other one.

    Returns
    -------
    float
        ``sqrt(factor / (fan_in + fan_out))``.
    """
    factor = 2.0 if ALIASES.get(activation, activation) == "sigmoid" else 6.0
    return float(np.sqrt(factor / (fan_in + fan_out)))


def _glorot(layers, rng, activation):
    weights, biases = [], []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        bound = glorot_bound(fan_in, fan_out, activation)
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        biases.append(rng.uniform(-bound, bound, fan_out))
    return weights, biases


INITS = {"normal": _normal, "glorot": _glorot}
"""Initialization schemes by name: ``scheme(layers, rng, activation) -> (weights, biases)``."""


def check_init(init):
    """Return ``init`` if it names a scheme of ``INITS`` or is a dict of arrays, else raise.

    The arrays' shapes are checked later, against the layers (``explicit_params``).
    """
    if isinstance(init, str) and init in INITS:
        return init
    if isinstance(init, dict):
        if set(init) != {"weights", "biases"}:
            raise ValueError("init given as arrays must be a dict with exactly the keys "
                             f"'weights' and 'biases'; got keys {sorted(map(str, init))}")
        return init
    allowed = ", ".join(repr(name) for name in sorted(INITS))
    raise ValueError(f"unknown init {init!r}; allowed: {allowed}, or arrays as "
                     "{'weights': [...], 'biases': [...]}")


def _rng(seed):
    # A RandomState is used as given, so the "glorot" draws equal scikit-learn's from the
    # same RandomState; everything else goes through default_rng (a Generator is kept).
    if isinstance(seed, np.random.RandomState):
        return seed
    return np.random.default_rng(seed)


def explicit_params(layers, init, dtype=np.float64):
    """Copies of the arrays of ``init = {"weights": [...], "biases": [...]}`` as ``dtype``.

    Non-finite values are kept: ``MLP.from_arrays`` rebuilds diverged runs from their
    stored weights too.

    Raises
    ------
    ValueError
        A wrong number of layers, or an array whose shape is not the layer's; the message
        names the layer, the expected and the given shape.
    """
    n_layers = len(layers) - 1
    arrays = {}
    for key in ("weights", "biases"):
        given = init[key]
        if isinstance(given, np.ndarray) or not hasattr(given, "__len__") or len(given) != n_layers:
            count = len(given) if isinstance(given, (list, tuple)) else type(given).__name__
            raise ValueError(f"init['{key}'] must be a list of {n_layers} array(s), one per "
                             f"layer of {layers}; got {count}")
        arrays[key] = []
        for l, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:])):
            expected = (fan_in, fan_out) if key == "weights" else (fan_out,)
            try:
                array = np.array(given[l], dtype=dtype)
            except (TypeError, ValueError):
                raise ValueError(f"init['{key}'][{l}] (layer {l}) must be numeric; "
                                 f"got {given[l]!r}") from None
            if array.shape != expected:
                raise ValueError(f"init['{key}'][{l}] (layer {l}: {fan_in} -> {fan_out}) has "
                                 f"shape {array.shape}; expected {expected}")
            arrays[key].append(array)
    return arrays["weights"], arrays["biases"]


def init_params(layers, init="normal", seed=0, *, activation="tanh", dtype=np.float64):
    """Initial weights and biases of a network with these layer sizes.

    Parameters
    ----------
    layers : list of int
        Sizes from input to output.
    init : {"normal", "glorot"} or dict, default="normal"
        A scheme of ``INITS`` (see the module docstring), or the arrays themselves as
        ``{"weights": [...], "biases": [...]}`` with ``weights[l]`` shaped
        ``(layers[l], layers[l + 1])`` and ``biases[l]`` shaped ``(layers[l + 1],)``
        (copied; ``seed`` is then unused).
    seed : int, numpy Generator or RandomState, default=0
        A scheme draws from ``numpy.random.default_rng(seed)`` (a Generator is used as
        given). A ``RandomState`` is also used as given: ``"glorot"`` then draws exactly
        what scikit-learn's MLP draws from the same ``RandomState``.
    activation : str, default="tanh"
        The hidden activation (``"glorot"``'s factor depends on it).
    dtype : numpy dtype, default=float64
        The draws are made in float64 and then cast, as scikit-learn does.

    Returns
    -------
    weights, biases : list of ndarray
        ``weights[l].shape == (layers[l], layers[l + 1])``, ``biases[l].shape == (layers[l + 1],)``.
    """
    if not isinstance(check_init(init), str):
        return explicit_params(layers, init, dtype)
    weights, biases = INITS[init](layers, _rng(seed), activation)
    return [W.astype(dtype) for W in weights], [b.astype(dtype) for b in biases]
