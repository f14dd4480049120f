"""What ``fit`` returns: the per-epoch losses and how training ended."""


class FitHistory(list):
    """Per-epoch training losses, plus how training ended.

    A plain list of floats (one per epoch run) with extra attributes:

    Attributes
    ----------
    status : {"ok", "diverged"}
        ``"diverged"`` when the loss became NaN or infinite; training stopped there and
        the list holds only the finite epochs before it.
    message : str
        Why training stopped early, or ``""``.
    val_losses : list of float or None
        Loss on the validation data after each epoch (one per training loss), when
        ``fit`` was given ``validation_data``.
    best_epoch : int or None
        With early stopping, the 1-based epoch of the lowest validation loss, whose
        weights the network keeps; None otherwise.
    weight_stats : dict or None
        With ``record_weights``: ``epoch`` (1-based, the epochs recorded) and ``stats``,
        an array ``(n_points, n_layers, 2, 4)``: per layer, weights then biases, their
        min, max, mean and std after that epoch (``nncore.weight_stats``).
    """

    def __init__(self, losses=(), status="ok", message="", *, val_losses=None,
                 best_epoch=None, weight_stats=None):
        super().__init__(float(v) for v in losses)
        self.status, self.message = status, message
        self.val_losses = None if val_losses is None else [float(v) for v in val_losses]
        self.best_epoch = best_epoch
        self.weight_stats = weight_stats

    def __repr__(self):
        final = self[-1] if self else None
        return f"FitHistory(epochs={len(self)}, status={self.status!r}, final_loss={final})"
