"""Names of the variable and constraint families, defined once as ``Literal`` types.

Variables are named ``"{Entity}-{quantity}"`` and constraints ``"{Entity}-{family}"``;
results, shadow prices and stress appliers find their columns and rows by these
names, so a signature typed :data:`VariableFamily` or :data:`ConstraintFamily` lets
mypy catch a misspelt family.

Examples
--------
>>> VARIABLE_FAMILIES[:2], CONSTRAINT_FAMILY_NAMES[0]
(('Contract-buy', 'Contract-deficit'), 'Node-balance')

"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["CONSTRAINT_FAMILY_NAMES", "VARIABLE_FAMILIES", "ConstraintFamily", "VariableFamily"]

VariableFamily = Literal[
    "Contract-buy", "Contract-deficit", "Process-run", "Lane-flow", "Stock-level",
    "Customer-sale", "Customer-shortfall", "Order-delivery", "Target-gap",
]
ConstraintFamily = Literal[
    "Node-balance", "Process-capacity", "Customer-demand", "Contract-takeorpay",
    "Site-storage", "Customer-crma", "Target-stock", "Invest-supply",
]
#: Variable families in column order.
VARIABLE_FAMILIES: tuple[VariableFamily, ...] = get_args(VariableFamily)
#: Constraint families of the plan's LP, in row order (``Invest-supply`` rows exist only
#: in ``oreline invest``'s LP, appended after these).
CONSTRAINT_FAMILY_NAMES: tuple[ConstraintFamily, ...] = tuple(
    f for f in get_args(ConstraintFamily) if f != "Invest-supply")
