"""initlab on PyTorch models (``pip install "initlab[torch]"``): audit, init by rules, measure, LSUV.

Public API: :func:`audit`, :func:`init_`, :func:`measure` (on the hook mechanism of
:mod:`initlab.torch.hooks`), :func:`diagnose`, :func:`lsuv_`, :func:`inspect` (all of them as one
report) and :func:`coordcheck` (width scaling, docs/coordcheck.md). See docs/torch.md.

``import initlab`` never imports this package; importing it without torch raises an
:class:`~initlab.core.errors.InitlabError` that says how to install it.
"""

from __future__ import annotations

from initlab.torch.audit import ParamAudit, audit
from initlab.torch.coordcheck import coordcheck
from initlab.torch.init import InitRecord, Rule, init_
from initlab.torch.lsuv import LsuvRecord, lsuv_
from initlab.torch.measure import CallRecord, TorchMeasurement, measure
from initlab.torch.report import InspectResult, inspect
from initlab.torch.verdicts import ModelVerdict, diagnose

__all__ = ["CallRecord", "InitRecord", "InspectResult", "LsuvRecord", "ModelVerdict", "ParamAudit",
           "Rule", "TorchMeasurement", "audit", "coordcheck", "diagnose", "init_", "inspect", "lsuv_", "measure"]
