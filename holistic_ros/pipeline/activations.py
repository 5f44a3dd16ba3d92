"""Activation functions applied to model outputs outside the models."""

import numpy as np


def sigmoid(x):
    """Logistic function, overflow-free for large negative logits."""
    x = np.asarray(x)
    return np.exp(-np.logaddexp(0.0, -x)).astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)
