"""Migration between providers through the canonical model.

>>> from chatmodels.migrate import Migration
>>> m = Migration(source=crisp.connect(...), target=intercom.connect(...), journal="run.db")
>>> report = m.run(resources=["agents", "tags", "contact_fields", "contacts", "conversations"])

See docs/migration.md: exactly-once journal, delta and dry runs, fidelity report, rate limits.
"""

from .engine import RESOURCES, Migration, MigrationAborted, Report, StepStats
from .journal import Journal
from .targets import IntercomTarget, Target, target_for

__all__ = ["RESOURCES", "Migration", "MigrationAborted", "Report", "StepStats", "Journal",
           "Target", "IntercomTarget", "target_for"]
