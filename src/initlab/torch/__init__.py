"""initlab on PyTorch models (``pip install "initlab[torch]"``): audit, init by rules, measure, LSUV.

``import initlab`` never imports this package; importing it without torch raises an
:class:`~initlab.core.errors.InitlabError` that says how to install it.
"""

from __future__ import annotations

from initlab.torch.audit import ParamAudit, audit
from initlab.torch.init import InitRecord, Rule, init_
from initlab.torch.lsuv import LsuvRecord, lsuv_
from initlab.torch.measure import CallRecord, TorchMeasurement, measure

__all__ = ["CallRecord", "InitRecord", "LsuvRecord", "ParamAudit", "Rule", "TorchMeasurement",
           "audit", "init_", "lsuv_", "measure"]
