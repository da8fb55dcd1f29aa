"""The built-in catalog: one module per question of shared/problems.md.

Each module defines ``PROBLEM`` (an :class:`engine.model.problem.Problem`). The
order of :data:`MODULES` is the order of the sheets.
"""

#: Module names, in sheet order (A1 A2 A3, B1 B2, C1 C2, D1-D5).
MODULES = (
    "autodiff", "adam", "vgg16", "cnn", "softmax", "autograd", "delta_rule",
    "batchnorm", "attention", "init", "dropout", "logistic",
)
