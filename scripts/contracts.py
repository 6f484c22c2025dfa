"""Write docs/contracts/asyncapi.json from the published contracts (``make contracts``)."""

from __future__ import annotations

import json
from pathlib import Path

from gsi_contracts.catalog import json_schemas

TARGET = Path(__file__).resolve().parents[1] / "docs" / "contracts" / "asyncapi.json"


def render() -> str:
    return json.dumps(json_schemas(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
