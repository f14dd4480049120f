"""Which epochs do extra work: the validation epochs and the recorded ones.

``fit`` validates after every epoch unless told otherwise (Keras' ``validation_freq``)
and records weight statistics only after the epochs it is given; the engine takes both
as a boolean mask over the epochs.
"""
import numpy as np

from .checks import check_positive


def validation_epochs(freq, epochs):
    """Keras' ``validation_freq`` as a boolean mask over the epochs, or None for every one."""
    if isinstance(freq, (int, np.integer)) and not isinstance(freq, bool):
        check_positive("validation_freq", freq, integer=True)
        if freq == 1:
            return None
        return (np.arange(1, epochs + 1) % freq) == 0
    return epoch_mask(freq, epochs, "validation_freq", also="an int >= 1 or ")


def epoch_mask(chosen, epochs, name, also=""):
    """A collection of 1-based epochs as a boolean mask over ``epochs`` (later ones dropped)."""
    try:
        picked = np.asarray(sorted(set(chosen)), dtype=np.int64)
    except (TypeError, ValueError):
        picked = None
    if picked is None or picked.ndim != 1 or (len(picked) and picked.min() < 1):
        raise ValueError(f"{name} must be {also}a collection of 1-based epochs; "
                         f"got {chosen!r}")
    mask = np.zeros(epochs, dtype=bool)
    mask[picked[picked <= epochs] - 1] = True
    return mask
