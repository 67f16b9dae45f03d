"""initlab on PyTorch models (``pip install "initlab[torch]"``): audit, init by rules, measure, LSUV.

``import initlab`` never imports this package; importing it without torch raises an
:class:`~initlab.core.errors.InitlabError` that says how to install it.
"""

from __future__ import annotations

from initlab.torch.measure import CallRecord, TorchMeasurement, measure

__all__ = ["CallRecord", "TorchMeasurement", "measure"]
