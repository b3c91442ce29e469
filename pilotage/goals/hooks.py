"""What goals and challenges do around an import (called by :meth:`pilotage.Workspace._import`).

Before: challenges whose end has passed are frozen, so data imported after the end changes
nothing. After: milestones the running goals newly reached are announced. Both are cheap
when the workspace has no goal, quota or challenge (one small query each).
"""

from __future__ import annotations


def before_import(ws) -> None:
    try:
        from pilotage.challenges.service import freeze_ended
    except ImportError:  # challenges not built yet
        return
    freeze_ended(ws)


def after_import(ws) -> None:
    from pilotage.goals.service import check_milestones

    check_milestones(ws)
