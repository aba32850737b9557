"""The KPI engine: catalogue, per-facility measures, formulas, targets, periods, trends and headlines.

``from lib import kpi`` gives the engine's public face (``kpi.Engine``, ``kpi.Scope``, ``kpi.KpiValue``);
the parts are modules of this package. ``python -m lib.kpi show ...`` prints any indicator.
"""

from lib.kpi.engine import SMALL_DENOMINATOR, Engine, KpiValue, Scope, compute

__all__ = ["SMALL_DENOMINATOR", "Engine", "KpiValue", "Scope", "compute"]
