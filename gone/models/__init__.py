"""Ready-made models a user calls from Python, the same ones the ``gone`` command trains.

- digits (scikit-learn's 8x8 or MNIST): :func:`build_model` (the MLP and CNN
  recipes), :func:`fit`, :func:`predict_labels`, :func:`plot_curve`,
  :data:`DEFAULTS` and :func:`recipe` (the command's epochs, batch sizes and
  learning rates);
- a table (``gone train table``): :func:`fit_table`, judged on held-out rows
  beside the linear baselines :func:`least_squares` and
  :func:`logistic_regression`.

    >>> result = gone.models.fit_table(x, y, seed=0)        # doctest: +SKIP
    >>> print(result.summary())                              # doctest: +SKIP
    >>> result.network.save("model.gone")                    # doctest: +SKIP
"""

from .digits import DEFAULTS, PLOT_FORMATS, build_model, fit, plot_curve, predict_labels, recipe
from .linear import least_squares, logistic_regression
from .table import TableFit, fit_table

__all__ = ["DEFAULTS", "PLOT_FORMATS", "TableFit", "build_model", "fit", "fit_table",
           "least_squares", "logistic_regression", "plot_curve", "predict_labels", "recipe"]
