"""Who may see, generate and download the summary reports: committee staff and leadership, nobody else."""

from ..permissions import is_committee_staff, is_leadership


def can_use_reports(user) -> bool:
    return is_committee_staff(user) or is_leadership(user)
