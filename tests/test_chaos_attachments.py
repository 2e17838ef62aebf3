"""``kill -9`` of a real ``chatmodels migrate`` while it moves attachments, with ~10 % faults on
the target: after the re-runs, every attachment is on the target exactly once, byte-identical,
and done in the journal."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter

from chatmodels.migrate import Migration
from chatmodels.migrate.attachments import KIND
from chatmodels.testing import serve

from .test_chaos import KINDS, command, connect, journal_rows, kill_runs, new_target, run_until_done
from .test_migrate_attachments import blob, target_files

FILES = 16


def test_kill_9_during_attachments_then_resume_each_once(tmp_path):
    rng = random.Random(16)
    with serve("crisp", seed=9, contacts=12) as source:
        src = connect(source)
        convs = [c for c in src.Conversation.all()]
        for n in range(FILES):
            conv = rng.choice(convs)
            name = f"doc{n}.bin"
            url = source.files.put(blob(2000 + 97 * n, n), name, "application/octet-stream")
            conv.send_message("file", {"name": name, "url": url,
                                       "type": "application/octet-stream"}, from_="user")
        with new_target("intercom", source) as clean:
            with Migration(src, connect(clean), str(tmp_path / "clean.db"), progress=False,
                           workers=4) as m:
                assert m.run().ok
            expected = target_files(connect(clean))
            rows = journal_rows(str(tmp_path / "clean.db"))
        assert len(expected) >= FILES
        with new_target("intercom", source) as target:
            target.chaos(rate=0.1, seed=3, kinds=KINDS, delay=0.4)
            journal = str(tmp_path / "chaos.db")
            cmd = command(source, target, journal)
            kills = kill_runs(cmd, sorted(rng.sample(range(rows // 2, rows), 4)),
                              lambda: journal_rows(journal))
            assert kills >= 2, "the runs finished before they could be killed"
            run_until_done(cmd)
            target.clear_faults()
            got = target_files(connect(target))
            assert Counter(got) == Counter(expected)  # each once, byte-identical
            with sqlite3.connect(journal) as db:
                states = Counter(state for (state,) in db.execute(
                    "SELECT state FROM objects WHERE kind = ?", (KIND,)))
            assert states == Counter({"done": len(expected)})
