"""micrograd_lite: a scalar automatic-differentiation engine that shows its work.

Build a graph out of `Value` objects, call ``backward()``, read every node's ``grad``.
"""

from .engine import Value, topological_order
from .modes import detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad
from .nn import MLP, Embedding, Layer, Module, Neuron, StateDictError
from .losses import cross_entropy, log_softmax, mse, softmax
from .optim import SGD, Adam, AdamW
from .checkpoint import CheckpointError, load, save
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .compiler import CompileError, compile
from .autograd import grad
from . import explain  # so that `import micrograd_lite` is enough for micrograd_lite.explain.chain_rule

__version__ = "0.1.0"

__all__ = [
    "Value", "topological_order", "no_grad", "enable_grad", "detect_anomaly", "is_grad_enabled", "is_anomaly_enabled",
    "Module", "Neuron", "Layer", "MLP", "Embedding", "StateDictError",
    "mse", "softmax", "log_softmax", "cross_entropy",
    "SGD", "Adam", "AdamW",
    "save", "load", "CheckpointError",
    "gradcheck", "gradgradcheck", "numerical_grad", "GradcheckError",
    "compile", "CompileError", "grad",
    "explain",
]
