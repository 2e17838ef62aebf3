"""The provider template: what it writes runs, passes its own tests and lints clean."""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import chatmodels
import chatmodels.testing
from chatmodels import registry
from chatmodels.scaffold import ScaffoldError, files_for, main, scaffold


@pytest.fixture
def generated(tmp_path: Path):
    """Scaffold ``acme`` under a temporary root and make it importable as chatmodels.acme."""
    written = scaffold("acme", tmp_path)
    chatmodels.__path__.append(str(tmp_path / "chatmodels"))
    chatmodels.testing.__path__.append(str(tmp_path / "chatmodels" / "testing"))
    # the entry next_steps() prints, added at run time instead of in registry.py
    registry.register(registry.Provider(
        name="acme", display_name="Acme", config_ref="chatmodels.acme:Acme",
        simulator_ref="chatmodels.testing.acme:Simulator"))
    try:
        yield tmp_path, written
    finally:
        registry.unregister("acme")
        chatmodels.__path__.remove(str(tmp_path / "chatmodels"))
        chatmodels.testing.__path__.remove(str(tmp_path / "chatmodels" / "testing"))
        for mod in [m for m in sys.modules if m.startswith(("chatmodels.acme",
                                                            "chatmodels.testing.acme"))]:
            del sys.modules[mod]
        chatmodels.testing.PROVIDERS.pop("acme", None)


def test_the_generated_provider_works_end_to_end(generated):
    root, written = generated
    assert sorted(p.relative_to(root).as_posix() for p in written) == sorted(
        path.replace("zeta", "acme") for path in files_for("zeta"))
    acme = importlib.import_module("chatmodels.acme")
    from chatmodels.testing import serve

    with serve("acme", seed=1, contacts=23) as sim:
        api = acme.connect(base_url=sim.base_url, **sim.credentials)
        assert api.Contact.all().count() == 23
        pages = list(api.Contact.all().page_size(10).pages())
        assert [len(p) for p in pages] == [10, 10, 3]
        bob = api.Contact.create(email="bob@example.com", name="Bob")
        bob.name = "Robert"
        bob.save()
        assert (sim.requests[-1].method, sim.requests[-1].json) == ("PATCH", {"name": "Robert"})
        assert api.Contact.operation("tag").is_safe and not api.Contact.operation(
            "create").is_safe


def test_the_generated_tests_pass(generated):
    root, _ = generated
    spec = importlib.util.spec_from_file_location("generated_acme_tests",
                                                  root / "tests" / "test_acme_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = [n for n in vars(module) if n.startswith("test_")]
    assert names
    for name in names:
        getattr(module, name)()


def test_the_generated_code_lints_clean(tmp_path):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the dev extra)")
    scaffold("acme", tmp_path)
    config = Path(__file__).resolve().parent.parent / "pyproject.toml"
    result = subprocess.run([ruff, "check", "--config", str(config), str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_bad_names_and_existing_files_are_refused(tmp_path, capsys):
    for bad in ("Acme", "1acme", "a", "class", "intercom", "ac-me"):
        with pytest.raises(ScaffoldError):
            files_for(bad)
    scaffold("acme", tmp_path)
    with pytest.raises(ScaffoldError, match="would overwrite"):
        scaffold("acme", tmp_path)
    assert main(["acme", "--root", str(tmp_path)]) == 2
    assert "would overwrite" in capsys.readouterr().err
    assert main(["zeta", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'config_ref="chatmodels.zeta:Zeta"' in out and "conformance profile" in out
