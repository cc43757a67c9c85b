"""How long what is not a ward room is kept: unmatched requests, client accounts nobody uses,
the audit trail and the erasure ledger (store/deletion/storage_sweep.py deletes what is past it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The ledger must outlive every backup, so that a restore can replay what came after it:
# backups live at most 56 days (backup_max_age_days), and a week more covers a late deletion.
LEDGER_DAYS = 56 + 7


@dataclass(frozen=True)
class StorageLimits:
    """The configurable limits (sshd_app.config: request_retention_weeks,
    inactive_client_months, audit_retention_days)."""

    request_weeks: int = 8
    inactive_client_months: int = 12
    audit_days: int = 365

    def request_deleted_at(self, filed: datetime) -> datetime:
        """When a request nobody matched is deleted; told to the client when filing."""
        return filed + timedelta(weeks=self.request_weeks)


def active_month(moment: datetime) -> str:
    """Logins are kept to the month: enough to find accounts unused for months, too coarse
    to line a login up with anything else."""
    return moment.strftime("%Y-%m")


def months_before(moment: datetime, months: int) -> str:
    index = moment.year * 12 + moment.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
