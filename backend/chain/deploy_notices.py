"""Deploy a community's NoticeBoard: its document library, notice board and the
anchors of owners' receipts of notices.

`deploy_full_community` calls `deploy_notices` once the registry and the assembly
exist; the tests and the gas benchmark go through it too.
"""

from __future__ import annotations

from typing import Any

ZERO_ADDRESS = "0x" + "0" * 40


def deploy_notices(project: Any, deployer: Any, community: Any, anchorer: Any = None) -> dict[str, Any]:
    """Deploy NoticeBoard wired to the community's registry and assembly.

    `anchorer`: the backend's account that anchors batches of receipts (on a local
    chain the vault's account, which `ape run deploy` appoints); None for none (the
    assembly appoints one later with `set_anchorer`).
    """
    account = ZERO_ADDRESS if anchorer is None else getattr(anchorer, "address", anchorer)
    board = deployer.deploy(project.NoticeBoard, community.registry.address,
                            community.extra["OwnersAssembly"].address, account)
    return {"NoticeBoard": board}
