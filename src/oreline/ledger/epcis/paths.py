"""Where a value lives in an event, for messages that name a field that exists.

Examples
--------
>>> ev = {"childQuantityList": [{"epcClass": "urn:a"}, {"epcClass": "urn:b"}]}
>>> quantity_field(ev, "urn:b")
'childQuantityList[1]'
>>> quantity_field(ev, "urn:c")  # not found: the list as a whole
'quantityList'

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["QUANTITY_LISTS", "quantity_field"]

#: The quantity lists of an event, in the order capture reads them.
QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList",
                  "outputQuantityList")


def quantity_field(event: Mapping[str, Any], lot: str,
                   lists: Sequence[str] = QUANTITY_LISTS) -> str:
    """The path of the first quantity element of ``lot`` in ``lists`` of ``event``.

    Parameters
    ----------
    event
        The event as captured (its JSON object).
    lot
        The ``epcClass`` looked for.
    lists
        The quantity lists to search, in order; the first names the result when ``lot``
        is in none of them.

    """
    for name in lists:
        items = event.get(name)
        for j, element in enumerate(items if isinstance(items, list) else []):
            if isinstance(element, Mapping) and element.get("epcClass") == lot:
                return f"{name}[{j}]"
    return lists[0]
