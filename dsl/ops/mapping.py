"""``map_dict``: look a string up in a dictionary.

Keys match exactly (no trimming or case folding: do that with ``trim``/``case`` first). A value
that is not a key gives ``default`` (NULL when it is null) or, with ``keep_unmapped``, itself.
NULL stays NULL.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dsl.ops.base import Limits, OpBase

__all__ = ["MapDict"]


class MapDict(OpBase):
    op: Literal["map_dict"] = "map_dict"
    mapping: dict[str, str] = Field(min_length=1)
    default: str | None = None
    keep_unmapped: bool = False

    def problems(self, limits: Limits) -> list[tuple[str, str]]:
        found = []
        if len(self.mapping) > limits.max_map_dict_entries:
            found.append(
                (
                    "mapping",
                    f"{len(self.mapping)} entries; the policy allows {limits.max_map_dict_entries}",
                )
            )
        if self.keep_unmapped and self.default is not None:
            found.append(("default", "give a default or keep_unmapped, not both"))
        return found
