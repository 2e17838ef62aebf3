"""Migration between providers through the canonical model.

>>> from chatmodels.migrate import Migration
>>> m = Migration(source=crisp.connect(...), target=intercom.connect(...), journal="run.db")
>>> report = m.run(resources=["agents", "tags", "contact_fields", "contacts", "conversations"])

Each provider's writer is the ``Target`` its registry entry names (``chatmodels/<provider>/
target.py``); ``target_for(client)`` finds it. See docs/migration.md: exactly-once journal,
capabilities and fidelity report, delta and dry runs, rate limits, verification
(``verify``), rollback (``Rollback``) and live sync (``Migration.follow``, fed by a
``WebhookReceiver``).
"""

from .engine import RESOURCES, Migration, MigrationAborted, Report, StepStats
from .journal import Journal
from .receiver import WebhookReceiver
from .rollback import Rollback, RollbackReport
from .targets import KINDS, Target, TargetUnavailable, target_class, target_for
from .verify import Verification, Verifier, verify

__all__ = ["RESOURCES", "KINDS", "Migration", "MigrationAborted", "Report", "StepStats",
           "Journal", "Rollback", "RollbackReport", "Target", "TargetUnavailable",
           "Verification", "Verifier", "WebhookReceiver", "target_class", "target_for", "verify"]
